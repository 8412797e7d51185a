import BoxCore
import BoxTestSupport
import Testing

/// `box update`: a running container's cgroup and record change; a stopped one's record, used at its start.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct UpdateTests {
    let h = Harness.shared

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    @Test func runningContainerGetsNewLimits() {
        let name = unique("upd")
        defer { h.box("rm", "-f", name) }
        let id = h.box("run", "-d", "--name", name, "-m", "32m", "box-demo", "sleep", "30").stdout.trimmingSuffix("\n")
        let r = h.box("update", "-m", "64m", "--memory-swap", "-1", "--pids-limit", "20", "--restart", "on-failure:3", name)
        #expect(r.status == 0)
        #expect(r.stdout == "\(name)\n")
        #expect(HostCgroup.read(id, "memory.limit_in_bytes") == "67108864")
        #expect(HostCgroup.read(id, "pids.max") == "20")
        #expect(h.box("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}",
                      name).stdout == "67108864 -1 20 on-failure\n")
        // refused values change nothing, in the cgroup or the record
        let bad = h.box("update", "-m", "1k", "--pids-limit", "7", name)
        #expect(bad.status == 125)
        #expect(bad.stderr == "Error: Minimum memory limit allowed is 6MB\n")
        #expect(HostCgroup.read(id, "pids.max") == "20")
        // Docker's rule: a new memory limit above the recorded memory+swap needs a new --memory-swap
        let id2 = h.box("run", "-d", "-m", "32m", "box-demo", "sleep", "30").stdout.trimmingSuffix("\n")
        defer { h.box("rm", "-f", id2) }
        let swap = h.box("update", "-m", "100m", id2)
        #expect(swap.status == 125)
        #expect(swap.stderr == "Error: Cannot update container \(id2): Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n")
        #expect(HostCgroup.read(id2, "memory.limit_in_bytes") == "33554432")
    }

    @Test func stoppedContainerKeepsTheUpdateForItsStart() {
        let name = unique("upds")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("create", "--name", name, "box-demo", "sleep", "30").status == 0)
        #expect(h.box("update", "--cpus", "0.5", "--pids-limit", "9", name).stdout == "\(name)\n")
        #expect(h.box("start", name).status == 0)
        let id = h.box("inspect", "-f", "{{.Id}}", name).stdout.trimmingSuffix("\n")
        #expect(HostCgroup.read(id, "pids.max") == "9")
        #expect(HostCgroup.read(id, HostCgroup.v2 ? "cpu.max" : "cpu.cfs_quota_us") == (HostCgroup.v2 ? "50000 100000" : "50000"))
        #expect(h.box("update", name).stderr == "Error: you must provide one or more flags when using this command\n")
    }
}
