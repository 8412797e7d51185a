#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// The host's cgroup files of a container, on whichever version the host runs.
enum HostCgroup {
    static let v2 = Files.exists("/sys/fs/cgroup/cgroup.controllers")

    /// The content of a control file of container `id`: `file` is named as on v1 (`memory.limit_in_bytes`),
    /// and read from its v2 counterpart there (`memory.max`).
    static func read(_ id: String, _ v1: String) -> String {
        let path: String
        if v2 {
            let name = ["memory.limit_in_bytes": "memory.max", "pids.max": "pids.max", "cpuset.cpus": "cpuset.cpus",
                        "memory.soft_limit_in_bytes": "memory.low"][v1] ?? v1
            path = "/sys/fs/cgroup/box/\(id)/\(name)"
        } else {
            let controller = String(v1.prefix { $0 != "." })
            path = "/sys/fs/cgroup/\(controller)/box/\(id)/\(v1)"
        }
        return (try? Files.read(path)).map { String(decoding: $0, as: UTF8.self).trimmingSuffix("\n") } ?? "<missing \(path)>"
    }
}

/// Limits: the flags reach the container's cgroup, bad values create nothing, and the limits hold.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct ResourceTests {
    let h = Harness.shared

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    @Test func flagsReachTheCgroupAndInspect() throws {
        let name = unique("lim")
        defer { h.box("rm", "-f", name) }
        let r = h.box("run", "-d", "--name", name, "-m", "64m", "--memory-reservation", "32m", "--cpus", "1.5", "-c", "512",
                      "--cpuset-cpus", "0", "--pids-limit", "50", "box-demo", "sleep", "30")
        #expect(r.status == 0)
        let id = r.stdout.trimmingSuffix("\n")
        #expect(HostCgroup.read(id, "memory.limit_in_bytes") == "67108864")
        #expect(HostCgroup.read(id, "memory.soft_limit_in_bytes") == "33554432")
        #expect(HostCgroup.read(id, "pids.max") == "50")
        #expect(HostCgroup.read(id, "cpuset.cpus") == "0")
        if HostCgroup.v2 {
            #expect(HostCgroup.read(id, "cpu.max") == "150000 100000")
            #expect(HostCgroup.read(id, "cpu.weight") == "20")
        } else {
            #expect(HostCgroup.read(id, "cpu.cfs_quota_us") == "150000")
            #expect(HostCgroup.read(id, "cpu.cfs_period_us") == "100000")
            #expect(HostCgroup.read(id, "cpu.shares") == "512")
            // Docker's default device rules: everything else denied
            let list = HostCgroup.read(id, "devices.list")
            #expect(list.hasPrefix("c *:* m\nb *:* m\nc 1:3 rwm\n") && list.hasSuffix("c 136:* rwm") && !list.contains("a *:*"))
            if Files.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") {
                #expect(HostCgroup.read(id, "memory.memsw.limit_in_bytes") == "134217728")
            }
        }
        let hc = h.box("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} "
                       + "{{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpusetCpus}} "
                       + "{{json .HostConfig.PidsLimit}}", name)
        #expect(hc.stdout == "67108864 134217728 33554432 1500000000 512 0 0 50\n")
        let unset = h.box("create", "box-demo")
        defer { h.box("rm", unset.stdout.trimmingSuffix("\n")) }
        #expect(h.box("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{json .HostConfig.PidsLimit}}",
                      unset.stdout.trimmingSuffix("\n")).stdout == "0 0 null\n")
    }

    /// Each bad value: one `Error:` line, exit 125, and no container (no record, so no cgroup either).
    @Test(arguments: [
        (["--memory", "1k"], "Error: Minimum memory limit allowed is 6MB\n"),
        (["--cpus", "-1"], "Error: Range of CPUs is from 0.01 to \(sysconf(Int32(_SC_NPROCESSORS_ONLN))).00, as there are only \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs available\n"),
        (["--cpus", "99"], "Error: Range of CPUs is from 0.01 to \(sysconf(Int32(_SC_NPROCESSORS_ONLN))).00, as there are only \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs available\n"),
        (["--pids-limit", "0"], "Error: invalid PIDs limit 0: use a positive number, or -1 for unlimited\n"),
        (["-m", "lots"], "Error: invalid argument \"lots\" for \"-m, --memory\" flag: invalid size: 'lots'\n"),
        (["--cpuset-cpus", "99"], "Error: Requested CPUs are not available - requested 99, available: \(HostCgroup.cpus)\n"),
        (["-m", "64m", "--memory-swap", "32m"], "Error: Minimum memoryswap limit should be larger than memory limit, see usage\n"),
        (["--memory-swap", "64m"], "Error: You should always set the Memory limit when using Memoryswap limit, see usage\n"),
        (["--cpus", "1", "--cpu-period", "50000"], "Error: Conflicting options: Nano CPUs and CPU Period cannot both be set\n"),
    ])
    func badValuesCreateNothing(flags: [String], error: String) {
        let name = unique("bad")
        for command in ["run", "create"] {
            let r = h.box([command, "--name", name] + flags + ["box-demo", "true"])
            #expect(r.status == 125)
            #expect(r.stderr == error)
            #expect(h.box("inspect", name).status != 0)
        }
    }

    @Test func pidsLimitStopsForks() {
        let r = h.sh("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done; wait; echo all-forked", flags: ["--pids-limit", "5"])
        #expect(r.stderr.contains("can't fork"))
        #expect(!r.stdout.contains("all-forked"))
        #expect(h.sh("for i in 1 2 3 4 5 6; do sleep 0.1 & done; wait; echo ok", flags: ["--pids-limit", "10"]).stdout == "ok\n")
    }

    /// A memory hog under `--memory 8m`: the OOM killer ends it; 137 and OOMKilled in inspect, Exited (137) in ps.
    @Test(arguments: [false, true])
    func memoryLimitOOMKills(detached: Bool) {
        let name = unique("oom")
        defer { h.box("rm", "-f", name) }
        let hog = ["box-demo", "sh", "-c", "x=0123456789; while :; do x=$x$x; done"]
        if detached {
            #expect(h.box(["run", "-d", "--name", name, "-m", "8m"] + hog).status == 0)
            #expect(h.box("wait", name).stdout == "137\n")
        } else {
            #expect(h.box(["run", "--name", name, "-m", "8m"] + hog).status == 137)
        }
        #expect(h.box("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", name).stdout == "true 137\n")
        let ps = h.box("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout.split(separator: "\n")
        #expect(ps.contains { $0.hasPrefix("\(name) Exited (137)") })
    }
}

extension HostCgroup {
    /// The CPUs of the host's root cpuset, as Docker's error lists them.
    static var cpus: String {
        let file = v2 ? "/sys/fs/cgroup/cpuset.cpus.effective" : "/sys/fs/cgroup/cpuset/cpuset.effective_cpus"
        return (try? Files.read(file)).map { String(decoding: $0, as: UTF8.self).trimmingSuffix("\n") } ?? ""
    }
}
