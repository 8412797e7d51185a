import BoxCore
@testable import BoxCgroups
import BoxTestSupport
import Testing

/// The OOM killer's count, read by the monitor before it removes a container's cgroup.
@Suite struct OOMTests {
    @Test func v1ReadsOOMControl() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.mkdirAll(root + "/memory/box/abc")
        try Files.write(root + "/memory/box/abc/memory.oom_control", Array("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n".utf8))
        #expect(CgroupV1(root: root, controllers: ["memory"]).oomKills("box/abc") == 2)
    }

    @Test func v2ReadsMemoryEvents() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.mkdirAll(root + "/box/abc")
        try Files.write(root + "/box/abc/memory.events", Array("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n".utf8))
        #expect(CgroupV2(root: root).oomKills("box/abc") == 1)
        // no memory controller, or no kill: 0
        #expect(CgroupV2(root: root).oomKills("box/none") == 0)
    }
}
