#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// `-t`, `-it`, `attach` and detach keys, driven through a real pseudo-terminal made by `script(1)`; and the
/// monitor's part in `stop` and `restart`.
@Suite(.enabled(if: Host.canRun && Files.exists("/usr/bin/script"), "needs root, the fixtures and script(1) (bsdutils)"))
struct TerminalTests {
    let h = Harness.shared

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    var box: String { "'\(TestSupport.boxBinary)' --root '\(h.root)'" }

    /// Runs `command` on a new pty (rows 30, cols 100) with `input` fed to it; its output and exit code.
    func onTTY(_ command: String, input: String = "") -> TestSupport.Result {
        let dir = TestSupport.tempDir("tty")
        defer { TestSupport.removeTree(dir) }
        try? Files.write(dir + "/cmd", Array("stty rows 30 cols 100; \(command)\n".utf8))
        // script(1) reads the input from a pipe and types it into the pty; -e passes the exit code on
        let wrapped = "(\(input.isEmpty ? "sleep 0" : input)) | /usr/bin/script -qec 'sh \(dir)/cmd' /dev/null"
        return TestSupport.run(["/bin/sh", "-c", wrapped])
    }

    @Test func runItIsARealTerminalWithTheCallersSize() {
        let r = onTTY("\(box) run --rm -it box-demo sh -c 'tty; stty size; exit 4'")
        #expect(r.status == 4)
        #expect(r.stdout.contains("/dev/pts/0"))
        #expect(r.stdout.contains("30 100"))
    }

    @Test func typedInputReachesTheShellAndTheTerminalIsRestored() {
        let r = onTTY("stty -g > /tmp/tty-before-$$; \(box) run --rm -it box-demo sh; c=$?; stty -g > /tmp/tty-after-$$; " +
                      "cmp -s /tmp/tty-before-$$ /tmp/tty-after-$$ && echo restored; rm -f /tmp/tty-*-$$; exit $c",
                      input: "sleep 0.5; printf 'echo hi-$((1+2))\\nexit 5\\n'; sleep 1")
        #expect(r.status == 5)
        #expect(r.stdout.contains("hi-3"))
        #expect(r.stdout.contains("restored"))
    }

    /// Ctrl-C is a byte on the terminal; the container's pty turns it into SIGINT for its foreground group.
    @Test func ctrlCReachesTheContainer() {
        let r = onTTY("\(box) run --rm -it box-demo sh -c 'trap \"echo got-int; exit 9\" INT; echo ready; sleep 5 & wait'",
                      input: "sleep 1; printf '\\003'; sleep 1")
        #expect(r.stdout.contains("got-int"))
        #expect(r.status == 9)
    }

    /// Without a tty the container has a session of its own: Ctrl-C on the caller's terminal goes to box, which
    /// passes it to the container's PID 1 only; the terminal does not signal the container's other processes.
    @Test func ctrlCWithoutATTYGoesThroughBox() {
        let r = onTTY("\(box) run --rm box-demo sh -c 'trap \"echo got\" INT; s=$(date +%s); sleep 3; echo slept=$(($(date +%s)-s))'",
                      input: "sleep 1; printf '\\003'; sleep 3.5")
        #expect(r.stdout.contains("got"))
        // the sleep was not interrupted: only PID 1 got the signal
        #expect(r.stdout.contains("slept=3") || r.stdout.contains("slept=2"), "\(r.stdout)")
    }

    /// Ctrl-P Ctrl-Q leaves the container running; `attach` reaches it again, and its exit code comes back.
    @Test func detachKeysThenAttach() {
        let name = unique("t")
        defer { h.box("rm", "-f", name) }
        let d = onTTY("\(box) run -it --name \(name) box-demo sh", input: "sleep 0.7; printf '\\020\\021'; sleep 0.5")
        #expect(d.status == 0)
        #expect(h.box("inspect", "-f", "{{.State.Status}}", name).stdout == "running\n")
        let a = onTTY("\(box) attach \(name)", input: "sleep 0.5; printf 'echo back-$((2*3))\\nexit 7\\n'; sleep 1")
        #expect(a.stdout.contains("back-6"))
        #expect(a.status == 7)
        #expect(eventually { h.box("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).stdout == "exited 7\n" })
    }

    @Test func detachedTTYContainerCanBeAttachedLater() {
        let name = unique("dit")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-dit", "--name", name, "box-demo", "sh").status == 0)
        let a = onTTY("\(box) attach \(name)", input: "sleep 0.5; printf 'echo hello-attach\\nexit 3\\n'; sleep 1")
        #expect(a.stdout.contains("hello-attach"))
        #expect(a.status == 3)
        // the shell's session was logged as the container's stdout
        #expect(h.box("logs", name).stdout.contains("hello-attach"))
    }

    @Test func attachToAStoppedContainerIsRefused() {
        let name = unique("s")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("create", "--name", name, "box-demo", "true").status == 0)
        let r = h.box("attach", name)
        #expect(r.status == 125)
        #expect(r.stderr == "Error: you cannot attach to a stopped container, start it first\n")
        let missing = h.box("attach", "no-such-container-x")
        #expect(missing.status == 125 && missing.stderr == "Error: no such container: no-such-container-x\n")
    }

    /// With `--init`, `stop` of a shell container takes milliseconds: the init passes SIGTERM on.
    @Test func stopWithInitIsQuick() {
        let name = unique("qi")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--init", "--name", name, "box-demo", "sh", "-c", "sleep 60").status == 0)
        let start = Time.nowSeconds()
        #expect(h.box("stop", name).status == 0)
        #expect(Time.nowSeconds() - start < 3)
        #expect(h.box("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).stdout == "exited 143\n")
    }

    /// `box stop` ends an `always` policy; `box restart` starts the container again under a new monitor.
    @Test func stopEndsRestartsAndRestartStartsAgain() {
        let name = unique("ra")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--restart", "always", "--name", name, "box-demo", "sh", "-c", "sleep 0.2; exit 1").status == 0)
        #expect(eventually(10) { (Int(h.box("inspect", "-f", "{{.RestartCount}}", name).stdout.trimmingSuffix("\n")) ?? 0) >= 2 })
        #expect(h.box("stop", "-t", "1", name).status == 0)
        #expect(h.box("inspect", "-f", "{{.State.Status}} {{.State.MonitorPid}}", name).stdout == "exited 0\n")
        let count = h.box("inspect", "-f", "{{.RestartCount}}", name).stdout
        usleep(600_000)
        #expect(h.box("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", name).stdout == "exited " + count)
        #expect(h.box("restart", name).stdout == name + "\n")
        #expect(h.box("inspect", "-f", "{{.State.Status}}", name).stdout == "running\n")
    }
}
