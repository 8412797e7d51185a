#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// The historic container escapes, each tried from inside a default container; each would have worked on the
/// vulnerable code.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct EscapeTests {
    let h = Harness.shared

    /// `Fixtures/probes/syscall-probe.c`, built static once (nil, and the test skips, without a C compiler).
    static let probe: String? = {
        let out = TestSupport.tempDir("probe") + "/probe"
        let src = TestSupport.repoRoot + "/Fixtures/probes/syscall-probe.c"
        let r = TestSupport.run(["/usr/bin/cc", "-static", "-O1", "-o", out, src])
        return r.status == 0 ? out : nil
    }()

    static func sha256(_ path: String) -> String {
        TestSupport.run(["/usr/bin/sha256sum", path]).stdout.split(separator: " ").first.map(String.init) ?? ""
    }

    /// CVE-2019-5736: /proc/self/exe, /proc/1/exe (box's own init with --init) and the exe of an exec'd process
    /// before its exec (box's copy) cannot be opened, and box's binary stays as it was.
    @Test func boxsBinaryIsUnreachableThroughProcExe() {
        let before = Self.sha256(TestSupport.boxBinary)
        let own = h.sh("echo x >> /proc/self/exe 2>/dev/null && echo wrote-self; echo x >> /proc/1/exe 2>/dev/null && echo wrote-1; echo done")
        #expect(own.stdout == "done\n")
        let initRun = h.sh("readlink /proc/1/exe || echo hidden; cat /proc/1/exe > /dev/null 2>&1 || echo unreadable",
                           flags: ["--init"])
        #expect(initRun.stdout == "hidden\nunreadable\n", "\(initRun.stdout)")
        // a watcher records the exe of every process it sees while execs come and go
        let name = "escexe-\(UInt32.random(in: 0...UInt32.max))"
        #expect(h.box("run", "-d", "--init", "--name", name, "box-demo", "sh", "-c", """
            while :; do for p in /proc/[0-9]*; do l=$(readlink $p/exe 2>/dev/null) && case "$l" in /bin/*|/usr/*) ;; *) echo "$l" >> /tmp/seen;; esac; done; done
            """).status == 0)
        defer { h.box("rm", "-f", name) }
        for _ in 0..<15 { h.box("exec", name, "true") }
        let seen = h.box("exec", name, "sh", "-c", "cat /tmp/seen 2>/dev/null; echo end")
        #expect(seen.stdout == "end\n", "the container saw: \(seen.stdout)")
        #expect(Self.sha256(TestSupport.boxBinary) == before)
    }

    /// CVE-2024-21626: only 0, 1, 2 are open at exec (run, run -d, run -t, exec), the working directory is in the
    /// container, and a working directory through /proc/self/fd is refused.
    @Test func noFileDescriptorOrDirectoryOfTheHostLeaks() {
        for flags in [[], ["-t"]] {
            let r = h.box(["run", "--rm"] + flags + ["-w", "/tmp", "box-demo", "sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; readlink /proc/self/cwd"])
            #expect(r.stdout.hasPrefix("0 1 2 3 /tmp\n") || r.stdout.hasPrefix("0 1 2 3 /tmp\r\n"), "\(flags) \(r.stdout)")
        }
        let name = "escfd-\(UInt32.random(in: 0...UInt32.max))"
        #expect(h.box("run", "-d", "--name", name, "box-demo", "sleep", "60").status == 0)
        defer { h.box("rm", "-f", name) }
        #expect(h.box("exec", name, "ls", "/proc/1/fd").stdout == "0\n1\n2\n")
        #expect(h.box("exec", "-w", "/tmp", name, "sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; readlink /proc/self/cwd").stdout == "0 1 2 3 /tmp\n")
        for n in 3...9 {
            let r = h.box("exec", "-w", "/proc/self/fd/\(n)", name, "pwd")
            #expect(r.status != 0 || !r.stdout.hasPrefix("/") || r.stdout == "/\n", "exec -w fd \(n): \(r.stdout)")
        }
        let run = h.box("run", "--rm", "-w", "/proc/self/fd/3", "box-demo", "pwd")
        #expect(run.status == 125)
    }

    /// Writes to /proc/sys and /proc/sysrq-trigger, mount, unshare, keyctl, module loading and ptrace of a host
    /// process are refused in a default container.
    @Test func aDefaultContainerCannotReachTheKernel() throws {
        let probe = try #require(Self.probe, "no C compiler to build Fixtures/probes/syscall-probe.c")
        let r = h.sh("""
            echo 1 > /proc/sys/kernel/panic 2>/dev/null || echo sysctl-refused
            echo c > /proc/sysrq-trigger 2>/dev/null || echo sysrq-refused
            mount -t tmpfs t /tmp 2>/dev/null || echo mount-refused
            unshare -m true 2>/dev/null || echo unshare-m-refused
            unshare -U true 2>/dev/null || echo unshare-U-refused
            for a in add_key init_module finit_module clone_newuser clone3 vsock "personality 0x0400000" "ptrace \(getpid())"; do echo "$a: $(/probe $a)"; done
            """, flags: ["-v", probe + ":/probe:ro"])
        #expect(r.stdout == """
            sysctl-refused
            sysrq-refused
            mount-refused
            unshare-m-refused
            unshare-U-refused
            add_key: EPERM 1
            init_module: EPERM 1
            finit_module: EPERM 1
            clone_newuser: EPERM 1
            clone3: ENOSYS 38
            vsock: EPERM 1
            personality 0x0400000: EPERM 1
            ptrace \(getpid()): ESRCH 3

            """, "\(r.stderr)")
        // the filter is what refuses add_key: without it the kernel allows it
        let open = h.sh("/probe add_key", flags: ["-v", probe + ":/probe:ro", "--security-opt", "seccomp=unconfined"])
        #expect(open.stdout == "ok\n")
    }

    /// The container sees only its own processes, none of the host's mounts, and not another container's files.
    @Test func hostAndOtherContainersAreInvisible() {
        let other = "escother-\(UInt32.random(in: 0...UInt32.max))"
        #expect(h.box("run", "-d", "--name", other, "box-demo", "sh", "-c", "echo secret > /tmp/other-secret; exec sleep 60").status == 0)
        defer { h.box("rm", "-f", other) }
        usleep(300_000)
        let r = h.sh("ps -o pid > /tmp/ps; wc -l < /tmp/ps; awk '{print $5}' /proc/self/mountinfo | grep -c -E '\(h.root)|/work|/var/lib/box|/run/box'; find / -xdev -name other-secret 2>/dev/null | wc -l")
        // ps: the header, sh and ps (not in a pipeline, where the next command may or may not exist yet)
        #expect(r.stdout == "3\n0\n0\n", "\(r.stdout)")
    }
}
