import BoxCore
@testable import BoxCgroups
import BoxTestSupport
import Testing

/// The counters `box stats` reads, from fake v1 and v2 trees and fake /proc files.
@Suite struct CgroupStatsTests {
    func write(_ path: String, _ text: String) throws {
        try Files.mkdirAll(String(path[..<path.lastIndex(of: "/")!]))
        try Files.write(path, Array(text.utf8))
    }

    @Test func v1ReadsEachController() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try write(root + "/cpu,cpuacct/box/c/cpuacct.usage", "2500000000\n")
        try write(root + "/memory/box/c/memory.usage_in_bytes", "10485760\n")
        try write(root + "/memory/box/c/memory.limit_in_bytes", "67108864\n")
        try write(root + "/memory/box/c/memory.stat", "cache 4096\ninactive_file 1\ntotal_inactive_file 2097152\n")
        try write(root + "/pids/box/c/pids.current", "3\n")
        try write(root + "/blkio/box/c/blkio.throttle.io_service_bytes", """
            8:0 Read 4096
            8:0 Write 512
            8:0 Sync 4608
            8:0 Async 0
            8:0 Total 4608
            8:16 Read 100
            8:16 Write 0
            Total 4708

            """)
        let b = CgroupV1(root: root, controllers: ["cpu,cpuacct", "memory", "pids", "blkio"])
        let s = b.stats("box/c")
        #expect(s.cpuNanos == 2_500_000_000)
        #expect(s.memoryUsage == 10_485_760 && s.inactiveFile == 2_097_152 && s.memoryUsedNoCache == 8_388_608)
        #expect(s.memoryLimit == 67_108_864)
        #expect(s.pids == 3)
        #expect(s.blockRead == 4196 && s.blockWrite == 512)
        // no limit: v1's huge value reads as none
        try write(root + "/memory/box/c/memory.limit_in_bytes", "9223372036854771712\n")
        #expect(b.stats("box/c").memoryLimit == nil)
        // a separate cpuacct hierarchy is found too
        try write(root + "/cpuacct/box/d/cpuacct.usage", "7\n")
        #expect(CgroupV1(root: root, controllers: ["cpu", "cpuacct"]).stats("box/d").cpuNanos == 7)
    }

    @Test func v2ReadsOneDirectory() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        let d = root + "/box/c/"
        try write(d + "cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
        try write(d + "memory.current", "5000\n")
        try write(d + "memory.max", "max\n")
        try write(d + "memory.stat", "anon 1000\nfile 4000\ninactive_file 3000\n")
        try write(d + "pids.current", "1\n")
        try write(d + "io.stat", "8:0 rbytes=1000 wbytes=24 rios=1 wios=1 dbytes=0 dios=0\n253:0 rbytes=10 wbytes=0 rios=1 wios=0\n")
        let s = CgroupV2(root: root).stats("box/c")
        #expect(s.cpuNanos == 1_500_000_000)
        #expect(s.memoryUsedNoCache == 2000 && s.memoryLimit == nil)
        #expect(s.pids == 1)
        #expect(s.blockRead == 1010 && s.blockWrite == 24)
        try write(d + "memory.max", "8388608\n")
        #expect(CgroupV2(root: root).stats("box/c").memoryLimit == 8_388_608)
    }

    /// A cgroup that is gone (the container stopped): all zeros, no error.
    @Test func missingCgroupIsZero() {
        #expect(CgroupV2(root: "/nonexistent").stats("box/x") == CgroupStats())
        #expect(CgroupV1(root: "/nonexistent", controllers: ["memory"]).stats("box/x") == CgroupStats())
    }

    @Test func hostCountersFromProc() throws {
        let root = TestSupport.tempDir("proc")
        defer { TestSupport.removeTree(root) }
        try write(root + "/stat", "cpu  100 0 50 800 40 5 5 7 0 0\ncpu0 50 0 25 400 20 2 3 0 0 0\nintr 1\n")
        // user..softirq: 100+0+50+800+40+5+5 ticks; steal (7) is left out, as Docker does
        #expect(Cgroups.systemCPUNanos(procStat: root + "/stat") == 1000 * 1_000_000_000 / 100)
        try write(root + "/meminfo", "MemTotal:        8000000 kB\nMemFree:  1 kB\n")
        #expect(Cgroups.machineMemory(meminfo: root + "/meminfo") == 8_192_000_000)
    }
}
