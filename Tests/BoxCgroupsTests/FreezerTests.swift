import BoxCore
@testable import BoxCgroups
import BoxTestSupport
import Testing

/// `pause`/`unpause` on fake trees: what each backend writes, and how it waits for the kernel's answer.
@Suite struct FreezerTests {
    @Test func v1WritesFrozenAndThawed() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.mkdirAll(root + "/freezer/box/abc")
        try Files.write(root + "/freezer/box/abc/freezer.state", Array("THAWED\n".utf8))
        let b = CgroupV1(root: root, controllers: ["freezer"])
        try b.freeze("box/abc")
        #expect(try Files.read(root + "/freezer/box/abc/freezer.state") == Array("FROZEN".utf8))
        try b.thaw("box/abc")
        #expect(try Files.read(root + "/freezer/box/abc/freezer.state") == Array("THAWED".utf8))
    }

    @Test func v1WithoutFreezerIsAnError() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.mkdirAll(root + "/memory/box/abc")
        let b = CgroupV1(root: root, controllers: ["memory"])
        #expect(throws: BoxError.self) { try b.freeze("box/abc") }
        // nothing is created where the freezer would be
        #expect(!Files.exists(root + "/freezer"))
    }

    @Test func v2WaitsForFrozenInEvents() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        let dir = root + "/box/abc"
        try Files.mkdirAll(dir)
        try Files.write(dir + "/cgroup.freeze", Array("0\n".utf8))
        try Files.write(dir + "/cgroup.events", Array("populated 1\nfrozen 1\n".utf8))
        let b = CgroupV2(root: root)
        try b.freeze("box/abc")
        #expect(try Files.read(dir + "/cgroup.freeze").first == UInt8(ascii: "1"))
        try Files.write(dir + "/cgroup.events", Array("populated 1\nfrozen 0\n".utf8))
        try b.thaw("box/abc")
        #expect(try Files.read(dir + "/cgroup.freeze").first == UInt8(ascii: "0"))
    }

    /// A cgroup that never reports frozen: the freeze times out and is undone, so no task stays frozen.
    @Test func v2FreezeThatNeverCompletesIsUndone() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        let dir = root + "/box/abc"
        try Files.mkdirAll(dir)
        try Files.write(dir + "/cgroup.freeze", Array("0\n".utf8))
        try Files.write(dir + "/cgroup.events", Array("populated 1\nfrozen 0\n".utf8))
        var b = CgroupV2(root: root)
        b.freezeTimeout = 0.05
        #expect(throws: BoxError.self) { try b.freeze("box/abc") }
        #expect(try Files.read(dir + "/cgroup.freeze").first == UInt8(ascii: "0"))
    }

    @Test func processesReadsCgroupProcs() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.mkdirAll(root + "/pids/box/abc")
        try Files.mkdirAll(root + "/memory/box/abc")
        try Files.write(root + "/pids/box/abc/cgroup.procs", Array("12\n34\n".utf8))
        // the first controller directory without cgroup.procs is skipped
        #expect(CgroupV1(root: root, controllers: ["memory", "pids"]).processes("box/abc") == [12, 34])
        #expect(CgroupV2(root: root).processes("box/none") == [])
    }
}
