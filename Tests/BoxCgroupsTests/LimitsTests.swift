import BoxCore
@testable import BoxCgroups
import BoxOCI
import BoxTestSupport
import Testing

/// What each backend writes for `--memory`, `--cpus`, `--pids-limit`, … : exact file contents in fake trees.
@Suite struct LimitsTests {
    typealias R = RuntimeSpec.Resources

    static let all = R(memory: .init(limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 10),
                       cpu: .init(shares: 512, quota: 150_000, period: 100_000, cpus: "0-1", mems: "0"),
                       pids: .init(limit: 100), devices: RuntimeSpec.DeviceRule.dockerDefaults)

    func text(_ path: String) -> String? { (try? Files.read(path)).map { String(decoding: $0, as: UTF8.self) } }

    /// A v1 tree with the controllers as directories; `memsw` decides whether swap accounting is on.
    func v1Tree(memsw: Bool = true, controllers: [String] = ["memory", "cpu,cpuacct", "cpuset", "pids", "devices"]) throws -> (String, CgroupV1) {
        let root = TestSupport.tempDir("cg")
        for c in controllers { try Files.mkdirAll(root + "/" + c) }
        if memsw { try Files.write(root + "/memory/memory.memsw.limit_in_bytes", Array("9223372036854771712\n".utf8)) }
        let b = CgroupV1(root: root, controllers: controllers)
        try b.create("box/c1")
        // the kernel makes the files of a new cgroup; the fake tree makes the one apply checks for
        if memsw { try Files.write(root + "/memory/box/c1/memory.memsw.limit_in_bytes", Array("9223372036854771712\n".utf8)) }
        return (root, b)
    }

    @Test func v1WritesEveryLimit() throws {
        let (root, b) = try v1Tree()
        defer { TestSupport.removeTree(root) }
        try b.apply(Self.all, to: "box/c1")
        let m = root + "/memory/box/c1/"
        #expect(text(m + "memory.limit_in_bytes") == "67108864")
        #expect(text(m + "memory.memsw.limit_in_bytes") == "134217728")
        #expect(text(m + "memory.soft_limit_in_bytes") == "33554432")
        #expect(text(m + "memory.swappiness") == "10")
        let c = root + "/cpu,cpuacct/box/c1/"
        #expect(text(c + "cpu.shares") == "512")
        #expect(text(c + "cpu.cfs_period_us") == "100000")
        #expect(text(c + "cpu.cfs_quota_us") == "150000")
        #expect(text(root + "/cpuset/box/c1/cpuset.cpus") == "0-1")
        #expect(text(root + "/cpuset/box/c1/cpuset.mems") == "0")
        #expect(text(root + "/pids/box/c1/pids.max") == "100")
        #expect(text(root + "/devices/box/c1/devices.deny") == "a\n")
        #expect(text(root + "/devices/box/c1/devices.allow") == """
            c *:* m
            b *:* m
            c 1:3 rwm
            c 1:5 rwm
            c 1:7 rwm
            c 1:8 rwm
            c 1:9 rwm
            c 5:0 rwm
            c 5:1 rwm
            c 5:2 rwm
            c 136:* rwm

            """)
    }

    /// Without swap accounting, the memsw file is left alone (the warning is the caller's).
    @Test func v1WithoutSwapAccountingWritesMemoryOnly() throws {
        let (root, b) = try v1Tree(memsw: false)
        defer { TestSupport.removeTree(root) }
        #expect(!b.swapLimitSupported)
        try b.apply(R(memory: .init(limit: 8 << 20, swap: 16 << 20)), to: "box/c1")
        #expect(text(root + "/memory/box/c1/memory.limit_in_bytes") == "8388608")
        #expect(!Files.exists(root + "/memory/box/c1/memory.memsw.limit_in_bytes"))
    }

    /// Only what is set is written: a pids-only update touches no other file; -1 is `max`.
    @Test func v1WritesOnlyWhatIsSet() throws {
        let (root, b) = try v1Tree()
        defer { TestSupport.removeTree(root) }
        try b.apply(R(pids: .init(limit: -1)), to: "box/c1")
        #expect(text(root + "/pids/box/c1/pids.max") == "max")
        #expect(!Files.exists(root + "/memory/box/c1/memory.limit_in_bytes"))
        #expect(!Files.exists(root + "/cpu,cpuacct/box/c1/cpu.shares"))
        #expect(!Files.exists(root + "/devices/box/c1/devices.allow"))
    }

    /// Raising, cutting and unlimiting memory+swap end with both files right (the order follows the current limit).
    @Test func v1OrdersMemoryAndSwapForTheKernel() throws {
        let (root, b) = try v1Tree()
        defer { TestSupport.removeTree(root) }
        let m = root + "/memory/box/c1/"
        try b.apply(R(memory: .init(limit: 8 << 20, swap: 16 << 20)), to: "box/c1")
        try b.apply(R(memory: .init(limit: 100 << 20, swap: 200 << 20)), to: "box/c1")
        #expect(text(m + "memory.limit_in_bytes") == "104857600")
        #expect(text(m + "memory.memsw.limit_in_bytes") == "209715200")
        try b.apply(R(memory: .init(limit: 10 << 20, swap: -1)), to: "box/c1")
        #expect(text(m + "memory.memsw.limit_in_bytes") == "-1")
        #expect(text(m + "memory.limit_in_bytes") == "10485760")
    }

    @Test func v1MissingControllerIsNamed() throws {
        let (root, b) = try v1Tree(controllers: ["memory", "cpu,cpuacct", "pids"])
        defer { TestSupport.removeTree(root) }
        #expect(!b.available("cpuset"))
        #expect(b.available("cpu") && b.available("cpuacct"))
        #expect(b.missingController(for: R(cpu: .init(cpus: "0"))) == "cpuset")
        #expect(b.missingController(for: R(cpu: .init(shares: 2))) == nil)
        #expect(throws: BoxError.self) { try b.apply(R(cpu: .init(cpus: "0")), to: "box/c1") }
        // device rules need no check: without the controller they are skipped
        try b.apply(R(devices: RuntimeSpec.DeviceRule.dockerDefaults), to: "box/c1")
    }

    @Test func v1HostCpusetPrefersEffective() throws {
        let (root, b) = try v1Tree()
        defer { TestSupport.removeTree(root) }
        try Files.write(root + "/cpuset/cpuset.cpus", Array("0-3\n".utf8))
        try Files.write(root + "/cpuset/cpuset.mems", Array("0\n".utf8))
        #expect(b.hostCpuset() == ("0-3", "0"))
        try Files.write(root + "/cpuset/cpuset.effective_cpus", Array("0-1\n".utf8))
        #expect(b.hostCpuset().cpus == "0-1")
    }

    /// A v2 tree whose root offers `controllers`; the container's cgroup is made by `create`.
    func v2Tree(controllers: String = "cpuset cpu io memory pids") throws -> (String, CgroupV2) {
        let root = TestSupport.tempDir("cg")
        try Files.write(root + "/cgroup.controllers", Array("\(controllers)\n".utf8))
        try Files.write(root + "/cgroup.subtree_control", Array("memory pids\n".utf8))
        let b = CgroupV2(root: root)
        try b.create("box/c1")
        try Files.write(root + "/box/c1/memory.swap.max", Array("max\n".utf8))
        return (root, b)
    }

    @Test func v2WritesEveryLimitAndEnablesControllers() throws {
        let (root, b) = try v2Tree()
        defer { TestSupport.removeTree(root) }
        try b.apply(Self.all, to: "box/c1")
        let d = root + "/box/c1/"
        #expect(text(d + "memory.max") == "67108864")
        // memory+swap 128 MiB with 64 MiB of memory: 64 MiB of swap
        #expect(text(d + "memory.swap.max") == "67108864")
        #expect(text(d + "memory.low") == "33554432")
        #expect(text(d + "cpu.weight") == "20")
        #expect(text(d + "cpu.max") == "150000 100000")
        #expect(text(d + "cpuset.cpus") == "0-1")
        #expect(text(d + "cpuset.mems") == "0")
        #expect(text(d + "pids.max") == "100")
        // no swappiness file on v2, and no device files: those need eBPF
        #expect(!Files.exists(d + "memory.swappiness"))
        #expect(!Files.exists(d + "devices.allow"))
        // the root had memory and pids: cpu and cpuset are added; the parent gets all four
        #expect(text(root + "/cgroup.subtree_control") == "+cpu +cpuset")
        #expect(text(root + "/box/cgroup.subtree_control") == "+memory +cpu +cpuset +pids")
    }

    @Test(arguments: [
        (Int64(8 << 20), Int64(8 << 20), "0"), (Int64(8 << 20), Int64(-1), "max"), (Int64(8 << 20), Int64(24 << 20), "16777216"),
    ])
    func v2SwapIsMemoryPlusSwapMinusMemory(limit: Int64, swap: Int64, want: String) throws {
        let (root, b) = try v2Tree()
        defer { TestSupport.removeTree(root) }
        try b.apply(R(memory: .init(limit: limit, swap: swap)), to: "box/c1")
        #expect(text(root + "/box/c1/memory.swap.max") == want)
    }

    @Test func v2QuotaAloneAndUnlimited() throws {
        let (root, b) = try v2Tree()
        defer { TestSupport.removeTree(root) }
        try b.apply(R(cpu: .init(quota: -1, period: 100_000), pids: .init(limit: -1)), to: "box/c1")
        #expect(text(root + "/box/c1/cpu.max") == "max 100000")
        #expect(text(root + "/box/c1/pids.max") == "max")
        try b.apply(R(memory: .init(limit: -1)), to: "box/c1")
        #expect(text(root + "/box/c1/memory.max") == "max")
    }

    @Test func v2MissingControllerIsAnErrorBeforeAnyWrite() throws {
        let (root, b) = try v2Tree(controllers: "memory pids")
        defer { TestSupport.removeTree(root) }
        #expect(b.missingController(for: R(cpu: .init(cpus: "0"))) == "cpuset")
        #expect(throws: BoxError.self) { try b.apply(R(memory: .init(limit: 8 << 20), cpu: .init(cpus: "0")), to: "box/c1") }
        #expect(!Files.exists(root + "/box/c1/memory.max"))
    }

    @Test(arguments: [(UInt64(2), UInt64(1)), (1024, 39), (262_144, 10_000), (512, 20), (0, 1), (1_000_000, 10_000)])
    func v2WeightFromShares(shares: UInt64, weight: UInt64) {
        #expect(CgroupV2.weight(shares: shares) == weight)
    }

    @Test func deviceRuleLines() {
        #expect(RuntimeSpec.DeviceRule.denyAll.cgroupV1Line == "a")
        #expect(RuntimeSpec.DeviceRule.allowAll.cgroupV1Line == "a")
        #expect(RuntimeSpec.DeviceRule(allow: true, type: "b", major: 8, minor: 0, access: "rw").cgroupV1Line == "b 8:0 rw")
    }
}
