#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// Capabilities, `--privileged`, seccomp and `--security-opt`, checked from inside containers.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct SecurityTests {
    let h = Harness.shared

    /// The `Cap*`, `NoNewPrivs` and `Seccomp` lines of the container's `/proc/self/status`, by name.
    func status(_ flags: [String] = [], exec: Bool = false) -> [String: String] {
        let r = h.sh("grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status", flags: flags)
        #expect(r.status == 0, "\(r.stderr)")
        return Self.fields(r.stdout)
    }

    static func fields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: ":", maxSplits: 1).map { $0.trimmingPrefix(while: { $0 == " " || $0 == "\t" }) }
            if kv.count == 2 { out[String(kv[0])] = String(kv[1].trimmingPrefix(while: { $0 == "\t" || $0 == " " })) }
        }
        return out
    }

    /// Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW
    /// SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
    static let dockerDefault = "00000000a80425fb"

    @Test func rootGetsDockersDefaultSetAndTheDefaultSeccompFilter() {
        let s = status()
        #expect(s["CapBnd"] == Self.dockerDefault)
        #expect(s["CapEff"] == Self.dockerDefault)
        #expect(s["CapPrm"] == Self.dockerDefault)
        #expect(s["CapInh"] == "0000000000000000")
        #expect(s["CapAmb"] == "0000000000000000")
        #expect(s["Seccomp"] == "2")
        #expect(s["NoNewPrivs"] == "0")
    }

    @Test func aNonRootUserHasNoEffectiveOrPermittedCapabilities() {
        let s = status(["-u", "1000"])
        #expect(s["CapEff"] == "0000000000000000")
        #expect(s["CapPrm"] == "0000000000000000")
        #expect(s["CapBnd"] == Self.dockerDefault)
    }

    @Test func capAddAndDropTakeAnyCaseWithOrWithoutThePrefix() {
        #expect(status(["--cap-drop", "ALL", "--cap-add", "kill", "--cap-add", "CAP_NET_ADMIN"])["CapBnd"] == "0000000000001020")
        #expect(status(["--cap-drop", "chown", "--cap-drop", "CAP_MKNOD"])["CapEff"] == "00000000a00425fa")
        // SYS_ADMIN opens the mount family in the seccomp filter too
        let r = h.sh("mount -t tmpfs t /tmp && echo mounted", flags: ["--cap-add", "sys_admin"])
        #expect(r.stdout == "mounted\n", "\(r.stderr)")
    }

    @Test func execUsesTheContainersSetsAndPrivilegedWidensThem() {
        let name = "secexec-\(UInt32.random(in: 0...UInt32.max))"
        #expect(h.box("run", "-d", "--name", name, "-u", "1000", "box-demo", "sleep", "60").status == 0)
        defer { h.box("rm", "-f", name) }
        let plain = Self.fields(h.box("exec", name, "grep", "Cap", "/proc/self/status").stdout)
        #expect(plain["CapEff"] == "0000000000000000")
        #expect(plain["CapBnd"] == Self.dockerDefault)
        let root = Self.fields(h.box("exec", "-u", "0", name, "grep", "Cap", "/proc/self/status").stdout)
        #expect(root["CapEff"] == Self.dockerDefault)
        let priv = Self.fields(h.box("exec", "--privileged", "-u", "0", name, "grep", "-E", "Cap|Seccomp:", "/proc/self/status").stdout)
        #expect(priv["CapBnd"] != Self.dockerDefault)
        #expect(priv["Seccomp"] == "2")  // runc applies the container's filter to exec'd processes, privileged or not
    }

    @Test func privilegedHasEverythingAndNoFilter() {
        let r = h.sh("""
            grep -E '^(CapEff|Seccomp):' /proc/self/status
            test -c /dev/kmsg && echo kmsg
            grep -c -E ' /proc/(kcore|keys|sys|sysrq-trigger) ' /proc/self/mountinfo
            grep ' /sys ' /proc/self/mountinfo | grep -q ' rw,' && echo sys-rw
            """, flags: ["--privileged"])
        let f = Self.fields(r.stdout)
        #expect(f["Seccomp"] == "0")
        #expect(f["CapEff"] != Self.dockerDefault)
        #expect(r.stdout.contains("kmsg\n0\nsys-rw\n"), "\(r.stdout) \(r.stderr)")
    }

    @Test func maskedAndReadOnlyPathsAndUnmask() {
        let r = h.sh("""
            cat /proc/kcore | wc -c; cat /proc/keys | wc -c; ls /sys/firmware | wc -l
            echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo sys-ro
            echo h > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro
            """)
        #expect(r.stdout == "0\n0\n0\nsys-ro\nsysrq-ro\n", "\(r.stderr)")
        let u = h.sh("grep -c -E ' /proc/(kcore|keys|timer_list|sys) ' /proc/self/mountinfo", flags: ["--security-opt", "unmask=/proc/kcore:/proc/sys"])
        #expect(u.stdout == "2\n")  // keys and timer_list still masked
        let all = h.sh("grep -c -E ' /proc/(kcore|keys|sys) ' /proc/self/mountinfo", flags: ["--security-opt", "systempaths=unconfined"])
        #expect(all.stdout == "0\n")
    }

    @Test func seccompUnconfinedAndNoNewPrivileges() {
        #expect(status(["--security-opt", "seccomp=unconfined"])["Seccomp"] == "0")
        #expect(status(["--security-opt", "no-new-privileges"])["NoNewPrivs"] == "1")
        #expect(status(["--security-opt", "no-new-privileges=false"])["NoNewPrivs"] == "0")
    }

    @Test func aCustomProfileIsApplied() throws {
        let dir = TestSupport.tempDir("seccomp")
        defer { TestSupport.removeTree(dir) }
        try Files.write(dir + "/p.json", Array("""
            {"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}, {"names": ["not_a_syscall"], "action": "SCMP_ACT_KILL"}]}
            """.utf8))
        let r = h.sh("mkdir /tmp/x 2>&1; grep Seccomp: /proc/self/status", flags: ["--security-opt", "seccomp=" + dir + "/p.json"])
        #expect(r.stdout.contains("Permission denied"), "\(r.stdout)")
        #expect(r.stdout.contains("Seccomp:\t2"))
        let name = "secinsp-\(UInt32.random(in: 0...UInt32.max))"
        #expect(h.box("create", "--name", name, "--security-opt", "seccomp=" + dir + "/p.json", "--cap-add", "net_admin", "box-demo").status == 0)
        defer { h.box("rm", "-f", name) }
        let i = h.box("inspect", "-f", "{{json .HostConfig.SecurityOpt}} {{json .HostConfig.CapAdd}} {{.HostConfig.Privileged}}", name)
        #expect(i.stdout.hasPrefix(#"["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"#), "\(i.stdout)")
        #expect(i.stdout.hasSuffix(#"] ["net_admin"] false"# + "\n"))
    }

    @Test func inspectShowsPrivilegedAndThePaths() {
        let name = "secpriv-\(UInt32.random(in: 0...UInt32.max))"
        #expect(h.box("create", "--name", name, "--privileged", "box-demo").status == 0)
        defer { h.box("rm", "-f", name) }
        let i = h.box("inspect", "-f", "{{.HostConfig.Privileged}} {{json .HostConfig.SecurityOpt}} {{json .HostConfig.MaskedPaths}}", name)
        #expect(i.stdout == "true [\"label=disable\"] null\n")
        let plain = name + "-plain"
        #expect(h.box("create", "--name", plain, "--security-opt", "no-new-privileges", "box-demo").status == 0)
        defer { h.box("rm", "-f", plain) }
        let j = h.box("inspect", "-f", "{{json .HostConfig.SecurityOpt}} {{index .HostConfig.MaskedPaths 2}} {{json .HostConfig.ReadonlyPaths}}",
                      plain)
        #expect(j.stdout == "[\"no-new-privileges\"] /proc/kcore [\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]\n")
    }

    @Test(arguments: [
        (["--cap-add", "foo"], "Error: invalid CapAdd: unknown capability: \"CAP_FOO\"\n"),
        (["--cap-drop", "CAP_NOPE"], "Error: invalid CapDrop: unknown capability: \"CAP_NOPE\"\n"),
        (["--security-opt", "bogus"], "Error: Invalid --security-opt: \"bogus\"\n"),
        (["--security-opt", "bogus=1"], "Error: invalid --security-opt 2: \"bogus=1\"\n"),
        (["--security-opt", "no-new-privileges=maybe"], "Error: invalid --security-opt 2: \"no-new-privileges=maybe\"\n"),
        (["--security-opt", "seccomp=/nonexistent.json"],
         "Error: opening seccomp profile (/nonexistent.json) failed: open /nonexistent.json: no such file or directory\n"),
    ])
    func badInputIsOneLineAndLeavesNothing(flags: [String], message: String) {
        let name = "secbad-\(UInt32.random(in: 0...UInt32.max))"
        let r = h.box(["run", "--rm", "--name", name] + flags + ["box-demo", "true"])
        #expect(r.status == 125)
        #expect(r.stderr == message)
        #expect(h.box("inspect", name).status != 0)
    }

    @Test func malformedProfilesAreRefused() throws {
        let dir = TestSupport.tempDir("seccomp")
        defer { TestSupport.removeTree(dir) }
        for (body, message) in [("not json", "compacting json for seccomp profile"),
                                (#"{"defaultAction": "SCMP_ACT_NOPE"}"#, "string SCMP_ACT_NOPE is not a valid action for seccomp"),
                                (#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}"#,
                                 "string SCMP_ARCH_PDP11 is not a valid arch for seccomp")] {
            try Files.write(dir + "/p.json", Array(body.utf8))
            let name = "secbad-\(UInt32.random(in: 0...UInt32.max))"
            let r = h.box("create", "--name", name, "--security-opt", "seccomp=" + dir + "/p.json", "box-demo")
            #expect(r.status == 125)
            #expect(h.box("inspect", name).status != 0)
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }
}
