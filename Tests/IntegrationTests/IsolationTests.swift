#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// `--ipc/--pid/--uts host`, `--cgroupns`, `--ulimit`, `--oom-score-adj`, `--shm-size`, `--sysctl`, `--device`.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct IsolationTests {
    let h = Harness.shared

    static func ownNamespace(_ type: String) -> String {
        TestSupport.run(["/usr/bin/readlink", "/proc/self/ns/\(type)"]).stdout
    }

    @Test func hostNamespacesAreSharedOnlyWhenAsked() {
        let script = "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; readlink /proc/self/ns/uts; hostname"
        let host = h.sh(script, flags: ["--ipc", "host", "--pid", "host", "--uts", "host"])
        let hostName = TestSupport.run(["/bin/hostname"]).stdout
        #expect(host.stdout == Self.ownNamespace("ipc") + Self.ownNamespace("pid") + Self.ownNamespace("uts") + hostName, "\(host.stderr)")
        let own = h.sh(script)
        let lines = own.stdout.split(separator: "\n").map { $0 + "\n" }
        #expect(lines.count == 4)
        #expect(lines.count == 4 && lines[0] != Self.ownNamespace("ipc") && lines[1] != Self.ownNamespace("pid")
            && lines[2] != Self.ownNamespace("uts") && lines[3] != hostName)
        // with the host's pid namespace, the host's processes are visible
        let ps = h.sh("ls /proc | grep -c '^[0-9]'", flags: ["--pid", "host"])
        #expect((Int(ps.stdout.split(separator: "\n").first ?? "") ?? 0) > 10)
        // --ipc host shares the host's /dev/shm
        let marker = "box-ipc-\(getpid())"
        _ = TestSupport.run(["/bin/sh", "-c", "echo shared > /dev/shm/\(marker)"])
        defer { unlink("/dev/shm/\(marker)") }
        #expect(h.sh("cat /dev/shm/\(marker)", flags: ["--ipc", "host"]).stdout == "shared\n")
        #expect(h.sh("cat /dev/shm/\(marker)").status != 0)
        let insp = h.box("create", "--pid", "host", "--uts", "host", "--ipc", "host", "box-demo")
        let id = insp.stdout.split(separator: "\n").first.map(String.init) ?? "?"
        defer { h.box("rm", id) }
        #expect(h.box("inspect", "-f", "{{.HostConfig.PidMode}} {{.HostConfig.UTSMode}} {{.HostConfig.IpcMode}}", id).stdout == "host host host\n")
    }

    @Test func hostPidContainerLeavesNoProcessBehind() {
        let tag = "box-pidhost-\(getpid())"
        let r = h.box("run", "--name", tag, "--pid", "host", "box-demo", "sh", "-c", "sleep 111 & echo started")
        defer { h.box("rm", "-f", tag) }
        #expect(r.stdout == "started\n")
        let id = h.box("inspect", "-f", "{{.Id}}", tag).stdout.split(separator: "\n").first.map(String.init) ?? "?"
        #expect(Host.processes(matching: "sleep 111").isEmpty)
        #expect(Host.cgroupDirs(id).isEmpty)
    }

    @Test func cgroupNamespaceFollowsDockersDefault() {
        let v2 = Files.exists("/sys/fs/cgroup/cgroup.controllers")
        let dflt = h.sh("readlink /proc/self/ns/cgroup")
        let priv = h.sh("readlink /proc/self/ns/cgroup", flags: ["--cgroupns", "private"])
        let host = h.sh("readlink /proc/self/ns/cgroup", flags: ["--cgroupns", "host"])
        let mine = Self.ownNamespace("cgroup")
        #expect(host.stdout == mine)
        #expect(priv.status == 0 && priv.stdout != mine)
        if v2 { #expect(dflt.stdout != mine) } else { #expect(dflt.stdout == mine) }
        // the private namespace's root is the container's own cgroup
        #expect(h.sh("cat /proc/self/cgroup", flags: ["--cgroupns", "private"]).stdout.contains("/box/") == false)
    }

    @Test func ownCgroupIsMountedReadOnlyAtSysFsCgroup() {
        let v2 = Files.exists("/sys/fs/cgroup/cgroup.controllers")
        let file = v2 ? "/sys/fs/cgroup/memory.max" : "/sys/fs/cgroup/memory/memory.limit_in_bytes"
        let procs = v2 ? "/sys/fs/cgroup/cgroup.procs" : "/sys/fs/cgroup/pids/cgroup.procs"
        let r = h.sh("cat \(file); grep -cx 1 \(procs); echo 1 > \(file) || echo refused", flags: ["--memory", "64m"])
        #expect(r.stdout == "67108864\n1\nrefused\n", "\(r.stderr)")
    }

    @Test func ulimitsApplyToTheContainerAndToExec() {
        let r = h.sh("ulimit -n; ulimit -Hn; ulimit -u", flags: ["--ulimit", "nofile=1024:2048", "--ulimit", "nproc=300"])
        #expect(r.stdout == "1024\n2048\n300\n", "\(r.stderr)")
        let c = h.box("run", "-d", "--ulimit", "nofile=100:200", "box-demo", "sleep", "30").stdout
            .split(separator: "\n").first.map(String.init) ?? "?"
        defer { h.box("rm", "-f", c) }
        #expect(h.box("exec", c, "sh", "-c", "ulimit -n; ulimit -Hn").stdout == "100\n200\n")
        #expect(h.box("inspect", "-f", "{{json .HostConfig.Ulimits}}", c).stdout == "[{\"Name\":\"nofile\",\"Hard\":200,\"Soft\":100}]\n")
    }

    /// This host's hard limit of open files, when box cannot raise it (no CAP_SYS_RESOURCE), as on the test VMs.
    static let fixedNofileHard: UInt64? = {
        var cur = rlimit()
        getrlimit(__rlimit_resource_t(7), &cur)
        let eff = TestSupport.run(["/bin/sh", "-c", "grep CapEff /proc/self/status"]).stdout
            .split(separator: "\t").last.flatMap { UInt64($0.dropLast(), radix: 16) } ?? ~0
        return eff & (1 << 24) == 0 && cur.rlim_max < 1 << 30 ? UInt64(cur.rlim_max) : nil
    }()

    @Test(.enabled(if: fixedNofileHard != nil, "box holds CAP_SYS_RESOURCE here: every limit can be raised"))
    func aLimitAboveTheHardLimitIsRefusedWithoutSysResource() {
        let cur = (rlim_max: Self.fixedNofileHard ?? 0, 0)
        let above = cur.rlim_max + 1
        let h = Harness()
        let before = h.box("ps", "-aq").stdout
        let r = h.box("run", "--rm", "--ulimit", "nofile=\(above):\(above)", "box-demo", "true")
        #expect(r.status == 125)
        #expect(r.stderr == "Error: ulimit nofile: hard limit \(above) is above this host's \(cur.rlim_max), and box lacks CAP_SYS_RESOURCE to raise it\n")
        #expect(h.box("ps", "-aq").stdout == before)
        let lower = h.box("run", "--rm", "--oom-score-adj", "-5", "box-demo", "true")
        #expect(lower.status == 125 && lower.stderr.contains("CAP_SYS_RESOURCE"))
    }

    @Test func oomScoreShmAndSysctls() {
        let r = h.sh("cat /proc/self/oom_score_adj; df -k /dev/shm | tail -1 | awk '{print $2}'; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max",
                     flags: ["--oom-score-adj", "500", "--shm-size", "16m", "--sysctl", "net.ipv4.ip_forward=1",
                             "--sysctl", "kernel.shmmax=123456", "--sysctl", "fs/mqueue/msg_max=20"])
        #expect(r.stdout == "500\n16384\n1\n123456\n20\n", "\(r.stderr)")
        // the host keeps its own values
        let hostShm = String(decoding: (try? Files.read("/proc/sys/kernel/shmmax")) ?? [], as: UTF8.self)
        #expect(hostShm != "123456\n")
        #expect(h.sh("df -k /dev/shm | tail -1 | awk '{print $2}'").stdout == "65536\n")
        // /proc/sys is read-only again once the values are written
        #expect(h.sh("echo 0 > /proc/sys/net/ipv4/ip_forward", flags: ["--sysctl", "net.ipv4.ip_forward=1"]).status != 0)
    }

    @Test func devicesAreMadeWithTheirNumbers() {
        let r = h.sh("stat -c '%t:%T %F' /dev/fuse /dev/mynull; echo x > /dev/mynull && echo wrote",
                     flags: ["--device", "/dev/fuse", "--device", "/dev/null:/dev/mynull:rw"])
        #expect(r.stdout == "a:e5 character special file\n1:3 character special file\nwrote\n", "\(r.stderr)")
        #expect(h.sh("test -e /dev/fuse").status == 1)
    }

    @Test(arguments: [
        (["--ulimit", "foo=1"], "Error: invalid ulimit type: foo\n"),
        (["--ulimit", "nofile=10:5"], "Error: ulimit soft limit must be less than or equal to hard limit: 10 > 5\n"),
        (["--oom-score-adj", "2000"], "Error: invalid value 2000, range for oom score adj is [-1000, 1000]\n"),
        (["--sysctl", "kernel.hostname=x"], "Error: sysctl 'kernel.hostname=x' is not allowed: only namespaced ones (net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)\n"),
        (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"], "Error: sysctl \"net.ipv4.ip_forward\" is not allowed in the host network namespace\n"),
        (["--sysctl", "net.ipv4.no_such_key=1"], "Error: set sysctl /proc/sys/net/ipv4/no_such_key: no such file or directory\n"),
        (["--device", "/dev/no-such-device"], "Error: error gathering device information while adding custom device \"/dev/no-such-device\": no such file or directory\n"),
        (["--device", "/etc/passwd"], "Error: error gathering device information while adding custom device \"/etc/passwd\": not a device node\n"),
        (["--device", "/dev/null:/dev/n:rwx"], "Error: invalid device mode: rwx\n"),
        (["--ipc", "bogus"], "Error: invalid IPC mode: bogus\n"),
        (["--pid", "bogus"], "Error: invalid PID mode: bogus\n"),
        (["--uts", "host", "--hostname", "x"], "Error: conflicting options: hostname and the UTS mode\n"),
        (["--cgroupns", "bogus"], "Error: invalid cgroup namespace mode: bogus: use host or private\n"),
        (["--shm-size", "lots"], "Error: invalid size: 'lots'\n"),
    ])
    func badValuesAreRefusedAndLeaveNothing(flags: [String], message: String) {
        let priv = Harness()
        let before = priv.box("ps", "-aq").stdout
        let r = priv.box(["run", "--rm"] + flags + ["box-demo", "true"])
        #expect(r.status == 125)
        #expect(r.stderr == message)
        #expect(priv.box("ps", "-aq").stdout == before)
        #expect(Host.mounts(containing: priv.root).isEmpty)
    }
}
