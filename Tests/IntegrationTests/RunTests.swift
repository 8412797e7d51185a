import BoxCore
import BoxTestSupport
import Testing

@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct RunTests {
    let h = Harness.shared

    @Test func runsImageCommandAsPID1InItsOwnNamespaces() {
        let r = h.box("run", "--rm", "box-demo")
        #expect(r.status == 0)
        #expect(r.stdout == "Hello from box! hello from box\n")
        #expect(r.stderr == "")
        let inside = h.sh("echo $$; hostname; cat /etc/hostname; ls /proc | grep -c '^[0-9]'")
        let lines = inside.stdout.split(separator: "\n")
        #expect(lines.first == "1")
        #expect(lines.count == 4 && lines[1] == lines[2] && lines[1].count == 12)
        // only the shell and ls: no host process is visible
        #expect(Int(lines.last ?? "") ?? 99 <= 3)
    }

    @Test func capabilitiesAreDockersDefaultSet() {
        let r = h.sh("grep -E '^Cap(Eff|Prm|Bnd|Inh|Amb)' /proc/self/status")
        #expect(r.stdout.contains("CapEff:\t00000000a80425fb"))
        #expect(r.stdout.contains("CapBnd:\t00000000a80425fb"))
        #expect(r.stdout.contains("CapInh:\t0000000000000000"))
        #expect(r.stdout.contains("CapAmb:\t0000000000000000"))
        let dropped = h.sh("grep CapEff /proc/self/status", flags: ["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"])
        #expect(dropped.stdout == "CapEff:\t0000000000001000\n")
        let user = h.sh("grep -E 'CapEff|CapPrm' /proc/self/status; id", flags: ["-u", "app"])
        #expect(user.stdout.contains("CapEff:\t0000000000000000"))
        #expect(user.stdout.contains("uid=1000(app) gid=1000(app) groups=50(staff)"))
    }

    @Test func imageConfigBecomesTheProcess() {
        let r = h.sh("pwd; echo $GREETING; echo $HOME; echo $HOSTNAME | wc -c")
        #expect(r.stdout == "/srv\nhello from box\n/root\n13\n")
        let env = h.sh("echo $A $B $GREETING", flags: ["-e", "A=1", "--env", "B=two words", "-e", "GREETING=override"])
        #expect(env.stdout == "1 two words override\n")
        let w = h.sh("pwd", flags: ["-w", "/new/dir"])
        #expect(w.stdout == "/new/dir\n")
        let ep = h.box("run", "--rm", "box-demo:entrypoint")
        #expect(ep.stdout == "entry default\n")
        let epArgs = h.box("run", "--rm", "box-demo:entrypoint", "a", "b")
        #expect(epArgs.stdout == "entry a b\n")
        let epOverride = h.box("run", "--rm", "--entrypoint", "/bin/echo", "box-demo:entrypoint", "x")
        #expect(epOverride.stdout == "x\n")
        let epEmpty = h.box("run", "--rm", "--entrypoint", "", "box-demo:entrypoint", "echo", "plain")
        #expect(epEmpty.stdout == "plain\n")
        let host = h.sh("hostname; grep myhost /etc/hosts | wc -l", flags: ["--hostname", "myhost"])
        #expect(host.stdout == "myhost\n1\n")
        let uidgid = h.sh("id -u; id -g", flags: ["-u", "1234:50"])
        #expect(uidgid.stdout == "1234\n50\n")
    }

    @Test(arguments: [
        ("exit 0", Int32(0)), ("exit 3", 3), ("kill -9 $$", 0), ("/etc/passwd", 126), ("nonexistent-cmd", 127),
    ])
    func exitCodes(script: String, want: Int32) {
        #expect(h.sh(script).status == want)
    }

    /// PID 1 ignores signals from inside (the `kill -9 $$` case above); from outside SIGKILL gives 137.
    @Test func killedFromOutsideIs137() {
        let name = "k137-\(UInt32.random(in: 0...UInt32.max))"
        defer { h.box("rm", "-f", name) }
        let bin = TestSupport.boxBinary
        let script = """
        '\(bin)' --root '\(h.root)' run --name \(name) box-demo sleep 30 & bg=$!
        for i in $(seq 100); do
          pid=$('\(bin)' --root '\(h.root)' inspect -f '{{.State.Pid}}' \(name) 2>/dev/null)
          [ -n "$pid" ] && [ "$pid" != 0 ] && break; sleep 0.05
        done
        kill -9 "$pid"; wait $bg; echo "code=$?"
        """
        let r = TestSupport.run(["/bin/sh", "-c", script])
        #expect(r.stdout == "code=137\n")
        #expect(h.box("inspect", "-f", "{{.State.ExitCode}} {{.State.Status}}", name).stdout == "137 exited\n")
    }

    /// `rm -f` of a container that a foreground `run` waits for: the run ends with 137 and no error of its own.
    @Test func removedWhileRunningEndsQuietly() {
        let name = "rmf-\(UInt32.random(in: 0...UInt32.max))"
        let bin = TestSupport.boxBinary
        let script = """
        '\(bin)' --root '\(h.root)' run --name \(name) box-demo sleep 30 2>/tmp/box-rmf-$$ & bg=$!
        for i in $(seq 100); do
          [ "$('\(bin)' --root '\(h.root)' inspect -f '{{.State.Status}}' \(name) 2>/dev/null)" = running ] && break; sleep 0.05
        done
        '\(bin)' --root '\(h.root)' rm -f \(name) >/dev/null; wait $bg; echo "code=$?"; cat /tmp/box-rmf-$$; rm -f /tmp/box-rmf-$$
        """
        #expect(TestSupport.run(["/bin/sh", "-c", script]).stdout == "code=137\n")
        #expect(!h.box("ps", "-a").stdout.contains(name))
    }

    /// box forwards SIGTERM to the container and exits with its code.
    @Test func forwardsSignals() {
        let bin = TestSupport.boxBinary
        let script = """
        '\(bin)' --root '\(h.root)' run --rm box-demo sh -c 'trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done' > /tmp/box-sig-$$ & bg=$!
        for i in $(seq 100); do grep -q ready /tmp/box-sig-$$ 2>/dev/null && break; sleep 0.05; done
        kill -TERM $bg; wait $bg; echo "code=$?"; rm -f /tmp/box-sig-$$
        """
        #expect(TestSupport.run(["/bin/sh", "-c", script]).stdout == "code=7\n")
    }

    @Test func missingCommandIs127WithOneLine() {
        let r = h.box("run", "--rm", "box-demo", "no-such-command")
        #expect(r.status == 127)
        #expect(r.stderr == "Error: exec: \"no-such-command\": executable file not found in $PATH\n")
        let perm = h.box("run", "--rm", "box-demo", "/etc/passwd")
        #expect(perm.status == 126)
        #expect(perm.stderr.split(separator: "\n").count == 1)
    }

    @Test func stdinOnlyWithInteractive() {
        #expect(h.box("run", "--rm", "-i", "box-demo", "cat", stdin: "piped\n").stdout == "piped\n")
        #expect(h.box("run", "--rm", "box-demo", "cat", stdin: "piped\n").stdout == "")
    }

    @Test func envFileAndCallerEnv() throws {
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        try Files.write(dir + "/env", Array("# comment\nFROM_FILE=yes\n\nPATH\n".utf8))
        let r = h.sh("echo $FROM_FILE; echo $PATH", flags: ["--env-file", dir + "/env"])
        #expect(r.stdout.hasPrefix("yes\n"))
        #expect(r.stdout.contains("/bin"))
    }

    @Test func maskedAndReadOnlyPaths() {
        let r = h.sh("wc -c < /proc/keys; wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname && echo wrote; echo done")
        #expect(r.stdout == "0\n0\n0\ndone\n")
        #expect(r.stderr.contains("Read-only file system"))
        let mounts = h.sh("cut -d' ' -f2 /proc/mounts | tr '\\n' ' '")
        for m in ["/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"] {
            #expect(mounts.stdout.split(separator: " ").contains(Substring(m)), "\(m) not mounted")
        }
        let devs = h.sh("ls /dev | tr '\\n' ' '")
        for d in ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "fd", "stdin", "ptmx"] {
            #expect(devs.stdout.split(separator: " ").contains(Substring(d)), "/dev/\(d) missing")
        }
        #expect(h.sh("echo x > /dev/null && head -c 4 /dev/zero | wc -c").stdout == "4\n")
    }

    @Test func networkNoneHasOnlyLoopbackUp() {
        let r = h.sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up")
        #expect(r.stdout == "lo\nlo-up\n")
        let host = h.sh("ls /sys/class/net | wc -l", flags: ["--network", "host"])
        #expect((Int(host.stdout.trimmingPrefix(" ").split(separator: "\n").first ?? "") ?? 0) >= 1)
    }
}
