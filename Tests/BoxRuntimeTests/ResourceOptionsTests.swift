import BoxCgroups
import BoxCore
import BoxOCI
@testable import BoxRuntime
import BoxTestSupport
import Testing

/// The resource flags' values, Docker's checks against a fake host, the spec they give, and `update`'s merge.
@Suite struct ResourceOptionsTests {
    @Test(arguments: [("64m", Int64(64 << 20)), ("1g", 1 << 30), ("512k", 512 << 10), ("1.5g", 3 << 29), ("100", 100),
                      ("10MB", 10 << 20), ("2GiB", 2 << 30)])
    func sizes(s: String, want: Int64) throws {
        #expect(try ResourceValue.bytes(s, flag: "-m, --memory") == want)
    }

    @Test(arguments: ["abc", "-1", "", "1x", "m"])
    func badSizes(s: String) {
        #expect(throws: BoxError.self) { try ResourceValue.bytes(s, flag: "-m, --memory") }
    }

    @Test(arguments: [("1.5", Int64(1_500_000_000)), ("2", 2_000_000_000), ("0.01", 10_000_000), (".5", 500_000_000),
                      ("-1", -1_000_000_000), ("0.000000001", 1)])
    func cpus(s: String, want: Int64) throws {
        #expect(try ResourceValue.nanoCPUs(s) == want)
    }

    @Test func badCPUs() {
        #expect(throws: BoxError.self) { try ResourceValue.nanoCPUs("1.5x") }
        #expect(throws: BoxError.self) { try ResourceValue.nanoCPUs("") }
        #expect(throws: BoxError.self) { try ResourceValue.nanoCPUs("0.0000000001") }
    }

    /// A v1 host with 2 CPUs, one memory node, and the controllers given.
    func host(_ controllers: [String] = ["memory", "cpu,cpuacct", "cpuset", "pids"], memsw: Bool = true) throws -> (String, ResourceOptions.Host) {
        let root = TestSupport.tempDir("cg")
        for c in controllers { try Files.mkdirAll(root + "/" + c) }
        if memsw { try Files.write(root + "/memory/memory.memsw.limit_in_bytes", Array("0\n".utf8)) }
        let cg = CgroupV1(root: root, controllers: controllers)
        return (root, ResourceOptions.Host(onlineCPUs: 2, cpus: "0-1", mems: "0", cgroups: cg))
    }

    static func with(_ body: (inout ResourceOptions) -> Void) -> ResourceOptions {
        var o = ResourceOptions()
        body(&o)
        return o
    }

    func options(_ body: (inout ResourceOptions) -> Void) -> ResourceOptions { Self.with(body) }

    @Test(arguments: [
        (with { $0.memory = 1024 }, "Minimum memory limit allowed is 6MB"),
        (with { $0.nanoCPUs = -1_000_000_000 }, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
        (with { $0.nanoCPUs = 99_000_000_000 }, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
        (with { $0.pidsLimit = 0 }, "invalid PIDs limit 0: use a positive number, or -1 for unlimited"),
        (with { $0.cpusetCpus = "99" }, "Requested CPUs are not available - requested 99, available: 0-1"),
        (with { $0.cpusetCpus = "1-" }, "Invalid value 1- for cpuset cpus: invalid format: 1-"),
        (with { $0.cpusetMems = "1" }, "Requested memory nodes are not available - requested 1, available: 0"),
        (with { $0.memory = 64 << 20; $0.memorySwap = 32 << 20 }, "Minimum memoryswap limit should be larger than memory limit, see usage"),
        (with { $0.memorySwap = 64 << 20 }, "You should always set the Memory limit when using Memoryswap limit, see usage"),
        (with { $0.memory = 8 << 20; $0.memoryReservation = 16 << 20 }, "Minimum memory limit can not be less than memory reservation limit, see usage"),
        (with { $0.nanoCPUs = 1_000_000_000; $0.cpuQuota = 50_000 }, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"),
        (with { $0.cpuPeriod = 10 }, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"),
        (with { $0.cpuQuota = 10 }, "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
        (with { $0.memorySwappiness = 101 }, "Invalid value: 101, valid memory swappiness range is 0-100"),
    ])
    func dockersChecks(o: ResourceOptions, message: String) throws {
        let (root, h) = try host()
        defer { TestSupport.removeTree(root) }
        var o = o
        #expect { _ = try o.validate(on: h) } throws: { ($0 as? BoxError)?.message == message }
    }

    @Test func missingControllerIsRefused() throws {
        let (root, h) = try host(["memory", "cpu,cpuacct", "pids"])
        defer { TestSupport.removeTree(root) }
        var o = options { $0.cpusetCpus = "0" }
        #expect { _ = try o.validate(on: h) } throws: {
            ($0 as? BoxError)?.message == "cgroup controller \"cpuset\" is not available on this host (v1): cannot apply --cpuset-cpus/--cpuset-mems"
        }
        var fine = options { $0.memory = 64 << 20; $0.nanoCPUs = 500_000_000; $0.pidsLimit = 10 }
        #expect(try fine.validate(on: h) == [])
    }

    /// Without swap accounting: Docker's warning, and memory is limited without swap.
    @Test func noSwapAccountingWarns() throws {
        let (root, h) = try host(memsw: false)
        defer { TestSupport.removeTree(root) }
        var o = options { $0.memory = 64 << 20 }
        #expect(try o.validate(on: h) == ["Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap."])
        o.defaultSwap()
        #expect(o.memorySwap == -1)
    }

    @Test func specShape() {
        var o = options { $0.memory = 64 << 20; $0.nanoCPUs = 1_500_000_000; $0.cpuShares = 1; $0.pidsLimit = -1; $0.cpusetCpus = "1" }
        o.defaultSwap()
        let r = o.spec
        #expect(r.memory == .init(limit: 64 << 20, swap: 128 << 20))
        // --cpus is a quota over Docker's 100 ms period; shares below 2 become 2, as Docker clamps them
        #expect(r.cpu == .init(shares: 2, quota: 150_000, period: 100_000, cpus: "1"))
        #expect(r.pids == .init(limit: -1))
        #expect(ResourceOptions().spec == RuntimeSpec.Resources())
    }

    @Test func defaultDeviceRulesComeFirst() throws {
        let process = RuntimeSpec.Process(user: .init(uid: 0, gid: 0), args: ["sh"], env: [], cwd: "/",
                                          capabilities: .init(bounding: [], effective: [], permitted: []))
        var spec = RuntimeSpec(process: process, root: .init(path: "/r", readonly: false), hostname: nil, mounts: [],
                               linux: .init(namespaces: [], maskedPaths: [], readonlyPaths: [], cgroupsPath: nil))
        try SpecBuilder.applyResources(options { $0.pidsLimit = 5 }, to: &spec)
        #expect(spec.linux.resources?.devices?.first == .denyAll)
        #expect(spec.linux.resources?.devices == RuntimeSpec.DeviceRule.dockerDefaults)
        #expect(spec.linux.resources?.pids?.limit == 5)
    }

    @Test func updateMergesAsDocker() throws {
        let current = options { $0.memory = 64 << 20; $0.memorySwap = 128 << 20; $0.nanoCPUs = 1_000_000_000 }
        let m = try Containers.merge(current, options { $0.memory = 100 << 20; $0.pidsLimit = 7 }, id: "x")
        #expect(m.memory == 100 << 20 && m.memorySwap == 128 << 20 && m.nanoCPUs == 1_000_000_000 && m.pidsLimit == 7)
        #expect { try Containers.merge(current, options { $0.memory = 200 << 20 }, id: "x") } throws: {
            ($0 as? BoxError)?.message == "Cannot update container x: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
        }
        #expect { try Containers.merge(current, options { $0.cpuQuota = 20_000 }, id: "x") } throws: {
            ($0 as? BoxError)?.message == "Cannot update container x: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"
        }
        // unlimited swap bounds nothing
        let unlimited = try Containers.merge(options { $0.memory = 64 << 20; $0.memorySwap = -1 }, options { $0.memory = 1 << 30 }, id: "x")
        #expect(unlimited.memory == 1 << 30)
    }

    @Test func netDevSumsAllButLoopback() {
        let text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:    5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0
              eth0:    1200       3    0    0    0     0          0         0      648       2    0    0    0     0       0          0
              eth1:      34       1    0    0    0     0          0         0        2       1    0    0    0     0       0          0

            """
        #expect(StatsReader.netDev(text) == (1234, 650))
    }

    /// CPU % over two samples: the container's CPU time over the host's, times the online CPUs.
    @Test func usageArithmetic() {
        let reader = StatsReader(cgroups: CgroupV2(root: "/nonexistent"), onlineCPUs: 2, machineMemory: 1 << 30)
        var a = StatsSample(id: "i", name: "n", running: true, cgroup: CgroupStats(), systemNanos: 10_000_000_000, netRx: 0, netTx: 0)
        a.cgroup.cpuNanos = 1_000_000_000
        var b = a
        b.systemNanos += 2_000_000_000  // one second on two CPUs
        b.cgroup.cpuNanos += 500_000_000  // half a CPU
        b.cgroup.memoryUsage = 3 << 20
        b.cgroup.inactiveFile = 1 << 20
        let u = reader.usage(b, previous: a)
        #expect(u.cpuPercent == 50)
        #expect(u.memoryUsage == 2 << 20 && u.memoryLimit == 1 << 30)
        #expect(reader.usage(b, previous: nil).cpuPercent == 0)
        b.cgroup.memoryLimit = 8 << 20
        #expect(reader.usage(b, previous: a).memoryPercent == 25)
        b.running = false
        #expect(reader.usage(b, previous: a).memoryLimit == 0)
    }
}
