#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// `box exec` into a running detached container; every check is made from inside.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct ExecTests {
    let h = Harness.shared

    /// Starts a detached container named `prefix-N` (`box run -d`) whose init writes /tmp/marker, then execs
    /// `sleep 60` (so PID 1 is `sleep`), and waits until the marker is there.
    func startContainer(_ prefix: String, flags: [String] = []) -> String {
        let name = "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
        let run = h.box(["run", "-d", "--name", name] + flags + ["box-demo", "sh", "-c", "echo from-init > /tmp/marker; exec sleep 60"])
        #expect(run.status == 0, "run -d: \(run.stderr)")
        // the status is running from the clone on; the marker says the script itself has run
        for _ in 0..<100 {
            if h.box("exec", name, "test", "-f", "/tmp/marker").status == 0 { break }
            usleep(50_000)
        }
        return name
    }

    @Test func joinsEveryNamespaceOfTheContainer() {
        let c = startContainer("exns")
        defer { h.box("rm", "-f", c) }
        let r = h.box("exec", c, "sh", "-c", """
            tr '\\0' ' ' < /proc/1/cmdline; echo; cat /tmp/marker; hostname
            for n in pid mnt uts ipc net cgroup; do [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] && echo "$n same"; done
            """)
        #expect(r.status == 0)
        let id = h.box("inspect", "-f", "{{.Id}}", c).stdout
        #expect(r.stdout == "sleep 60 \nfrom-init\n\(id.prefix(12))\npid same\nmnt same\nuts same\nipc same\nnet same\ncgroup same\n")
        // the container's pid namespace: its init is PID 1 and the host's processes are not there
        let ps = h.box("exec", c, "ps", "-o", "pid,comm")
        #expect(ps.stdout.contains("    1 sleep"))
        #expect(ps.stdout.split(separator: "\n").count == 3)
    }

    @Test func joinsTheContainersCgroup() {
        let c = startContainer("excg")
        defer { h.box("rm", "-f", c) }
        let r = h.box("exec", c, "sh", "-c", "cat /proc/self/cgroup; echo ---; cat /proc/1/cgroup")
        let halves = r.stdout.split(separator: "---\n", omittingEmptySubsequences: false)
        #expect(halves.count == 2 && halves[0] == halves[1] && !halves[0].isEmpty)
        // seen from the host, the command (box's child) is in the container's own cgroup
        let id = h.box("inspect", "-f", "{{.Id}}", c).stdout.split(separator: "\n").first.map(String.init) ?? "?"
        let bin = TestSupport.boxBinary
        let script = """
        '\(bin)' --root '\(h.root)' exec \(c) sleep 3 & bg=$!
        for i in $(seq 100); do p=$(pgrep -P $bg sleep) && break; sleep 0.02; done
        cat /proc/$p/cgroup; kill $bg; wait $bg 2>/dev/null
        """
        let out = TestSupport.run(["/bin/sh", "-c", script]).stdout
        #expect(out.contains(":memory:/box/\(id)\n") || out.contains("::/box/\(id)\n"), "\(out)")
    }

    @Test func environmentAndWorkingDirectory() throws {
        let c = startContainer("exenv")
        defer { h.box("rm", "-f", c) }
        let r = h.box("exec", c, "sh", "-c", "pwd; echo $GREETING; echo $HOME; echo $A")
        #expect(r.stdout == "/srv\nhello from box\n/root\n\n")
        let e = h.box("exec", "-e", "A=1", "--env", "GREETING=override", "-w", "/tmp", c, "sh", "-c", "pwd; echo $GREETING $A")
        #expect(e.stdout == "/tmp\noverride 1\n")
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        try Files.write(dir + "/env", Array("# comment\nFROM_FILE=yes\n".utf8))
        #expect(h.box("exec", "--env-file", dir + "/env", c, "sh", "-c", "echo $FROM_FILE").stdout == "yes\n")
        let rel = h.box("exec", "-w", "tmp", c, "true")
        #expect(rel.status == 125)
        #expect(rel.stderr == "Error: the working directory 'tmp' is invalid, it needs to be an absolute path\n")
        let missing = h.box("exec", "-w", "/nonexistent", c, "true")
        #expect(missing.status == 126)
        #expect(missing.stderr == "Error: chdir to /nonexistent: no such file or directory\n")
    }

    @Test func userAndCapabilities() {
        let c = startContainer("excap")
        defer { h.box("rm", "-f", c) }
        let caps = "grep -E '^Cap(Eff|Bnd)' /proc/self/status; echo ---; grep -E '^Cap(Eff|Bnd)' /proc/1/status"
        // root gets the container's sets: those of its init
        let root = h.box("exec", c, "sh", "-c", caps).stdout.split(separator: "---\n", omittingEmptySubsequences: false)
        #expect(root.count == 2 && root[0] == root[1] && root[0].contains("CapEff:\t00000000a80425fb"))
        // any other user gets the bounding set but no effective capability
        let user = h.box("exec", "-u", "1000", c, "sh", "-c", "id -u; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status")
        #expect(user.stdout == "1000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n")
        // a name is resolved in the container's own /etc/passwd and /etc/group, and HOME follows it
        let app = h.box("exec", "-u", "app", c, "sh", "-c", "id; echo $HOME")
        #expect(app.stdout == "uid=1000(app) gid=1000(app) groups=50(staff)\n/home/app\n")
        #expect(h.box("exec", "-u", "1234:50", c, "sh", "-c", "id -u; id -g").stdout == "1234\n50\n")
        let unknown = h.box("exec", "-u", "nobody-here", c, "true")
        #expect(unknown.status == 125)
        #expect(unknown.stderr == "Error: unable to find user nobody-here: no matching entries in passwd file\n")
        // --privileged: every capability box itself has
        let own = (try? Files.read("/proc/self/status")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let prm = own.split(separator: "\n").first { $0.hasPrefix("CapPrm:") }.map { $0.dropFirst(7) } ?? "?"
        #expect(h.box("exec", "--privileged", c, "grep", "CapEff", "/proc/self/status").stdout == "CapEff:\(prm)\n")
    }

    @Test(arguments: [("exit 0", Int32(0)), ("exit 3", 3), ("/etc/passwd", 126), ("no-such-command", 127)])
    func exitCodes(script: String, want: Int32) {
        let c = startContainer("excode")
        defer { h.box("rm", "-f", c) }
        #expect(h.box("exec", c, "sh", "-c", script).status == want)
        // the same codes without a shell: box's own lookup and exec
        if want >= 126 {
            let r = h.box("exec", c, script)
            #expect(r.status == want)
            let message = want == 127 ? "Error: exec: \"\(script)\": executable file not found in $PATH\n"
                : "Error: exec: \"\(script)\": permission denied\n"
            #expect(r.stderr == message)
        }
    }

    @Test func containerThatIsMissingOrNotRunning() {
        let missing = h.box("exec", "no-such-container-x", "true")
        #expect(missing.status == 125)
        #expect(missing.stderr == "Error: no such container: no-such-container-x\n")
        let name = "exdone-\(UInt32.random(in: 0...UInt32.max))"
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "--name", name, "box-demo", "true").status == 0)
        let id = h.box("inspect", "-f", "{{.Id}}", name).stdout.split(separator: "\n").first ?? ""
        let exited = h.box("exec", name, "true")
        #expect(exited.status == 125)
        #expect(exited.stderr == "Error: container \(id) is not running\n")
        let usage = h.box("exec", name)
        #expect(usage.status == 125)
        #expect(usage.stderr.hasPrefix("Error: \"box exec\" requires at least 2 arguments"))
    }

    @Test func pausedContainer() {
        let c = startContainer("expause")
        defer { h.box("rm", "-f", c) }
        #expect(h.box("pause", c).status == 0)
        let id = h.box("inspect", "-f", "{{.Id}}", c).stdout.split(separator: "\n").first ?? ""
        let r = h.box("exec", c, "true")
        #expect(r.status == 125)
        #expect(r.stderr == "Error: container \(id) is paused, unpause the container before exec\n")
        h.box("unpause", c)
    }

    @Test func stdinOnlyWithInteractive() {
        let c = startContainer("exin")
        defer { h.box("rm", "-f", c) }
        #expect(h.box("exec", "-i", c, "cat", stdin: "piped\n").stdout == "piped\n")
        #expect(h.box("exec", c, "cat", stdin: "piped\n").stdout == "")
    }

    /// `-d` returns at once; the command goes on, reparented to the container's init.
    @Test func detachReturnsAtOnce() {
        let c = startContainer("exdet")
        defer { h.box("rm", "-f", c) }
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        let r = h.box("exec", "-d", c, "sh", "-c", "sleep 2; grep PPid /proc/$$/status > /tmp/detached")
        clock_gettime(CLOCK_MONOTONIC, &t1)
        #expect(r.status == 0 && r.stdout == "" && r.stderr == "")
        let ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1_000_000
        #expect(ms < 1500, "exec -d waited for the command")
        var out = ""
        for _ in 0..<80 {
            out = h.box("exec", c, "cat", "/tmp/detached").stdout
            if !out.isEmpty { break }
            usleep(100_000)
        }
        // ($PPID would be read at the shell's start, when its first parent may not have exited yet)
        #expect(out == "PPid:\t1\n")
        // a command that cannot start is still reported
        let bad = h.box("exec", "-d", c, "no-such-command")
        #expect(bad.status == 127)
    }

    /// No fd of box's reaches the command: only 0, 1, 2 and the one `ls` opens for the directory.
    @Test func noFileDescriptorLeaks() {
        let c = startContainer("exfd")
        defer { h.box("rm", "-f", c) }
        #expect(h.box("exec", c, "ls", "/proc/self/fd").stdout == "0\n1\n2\n3\n")
        #expect(h.box("exec", "-i", c, "ls", "/proc/self/fd").stdout == "0\n1\n2\n3\n")
    }

    /// box forwards SIGTERM to the command and exits with its code.
    @Test func forwardsSignals() {
        let c = startContainer("exsig")
        defer { h.box("rm", "-f", c) }
        let bin = TestSupport.boxBinary
        let script = """
        '\(bin)' --root '\(h.root)' exec \(c) sh -c 'trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done' > /tmp/box-exsig-$$ & bg=$!
        for i in $(seq 100); do grep -q ready /tmp/box-exsig-$$ 2>/dev/null && break; sleep 0.05; done
        kill -TERM $bg; wait $bg; echo "code=$?"; rm -f /tmp/box-exsig-$$
        """
        #expect(TestSupport.run(["/bin/sh", "-c", script]).stdout == "code=7\n")
    }

    /// A `--network host` container has no network namespace of its own: exec joins the others and stays in the host's.
    @Test func hostNetworkContainer() {
        let c = startContainer("exhost", flags: ["--network", "host"])
        defer { h.box("rm", "-f", c) }
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/self/ns/net", &buf, 63)
        let hostNet = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        let r = h.box("exec", c, "sh", "-c", "readlink /proc/self/ns/net; [ \"$(readlink /proc/self/ns/mnt)\" = \"$(readlink /proc/1/ns/mnt)\" ] && echo mnt")
        #expect(r.stdout == "\(hostNet)\nmnt\n")
    }

    /// `-t`: the command's stdio is a pty of the container's devpts; with `-i` keys typed reach it.
    @Test(.enabled(if: Files.exists("/usr/bin/script"), "needs script(1) (bsdutils) to give box a terminal"))
    func ttyAndInteractiveTTY() {
        let c = startContainer("extty")
        defer { h.box("rm", "-f", c) }
        let bin = TestSupport.boxBinary
        let t = TestSupport.run(["/usr/bin/script", "-qec", "stty rows 30 cols 90; '\(bin)' --root '\(h.root)' exec -t \(c) sh -c 'tty; stty size; echo $TERM; exit 4'", "/dev/null"])
        #expect(t.status == 4)
        #expect(t.stdout.contains("/dev/pts/"))
        // the pty's size is the caller's; box copies the output as is (script's own pty adds a second \r)
        #expect(t.stdout.contains("30 90\r"))
        #expect(t.stdout.contains("xterm\r"))
        let it = TestSupport.run(["/usr/bin/script", "-qec", "'\(bin)' --root '\(h.root)' exec -it \(c) sh", "/dev/null"],
                                 stdin: "echo answer=$((6*7))\nexit 5\n")
        #expect(it.status == 5)
        #expect(it.stdout.contains("answer=42"))
    }
}
