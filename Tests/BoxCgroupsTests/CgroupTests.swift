#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxCgroups
import BoxTestSupport
import Testing

/// Both backends against fake trees: no root, no real cgroup file system.
@Suite struct CgroupTests {
    @Test func detectsV2ByControllersFile() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.write(root + "/cgroup.controllers", Array("cpu memory pids\n".utf8))
        #expect(Cgroups.detect(root: root).version == "v2")
    }

    @Test func detectsV1ByControllerDirectories() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        for c in ["memory", "pids", "cpu,cpuacct"] { try Files.mkdirAll(root + "/" + c) }
        symlink("cpu,cpuacct", root + "/cpu")
        let b = Cgroups.detect(root: root)
        #expect(b.version == "v1")
        // the comounted hierarchy once; the symlink to it is not a second controller
        #expect((b as? CgroupV1)?.controllers == ["memory", "cpu,cpuacct", "pids"])
    }

    @Test func v1CreatesOneDirectoryPerControllerAndAddsThePid() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        for c in ["memory", "pids", "cpuset"] { try Files.mkdirAll(root + "/" + c) }
        try Files.write(root + "/cpuset/cpuset.cpus", Array("0-1\n".utf8))
        try Files.write(root + "/cpuset/cpuset.mems", Array("0\n".utf8))
        let b = CgroupV1(root: root)
        try b.create("box/abc")
        #expect(b.directories("box/abc") == ["\(root)/memory/box/abc", "\(root)/cpuset/box/abc", "\(root)/pids/box/abc"])
        for d in b.directories("box/abc") { #expect(Files.isDirectory(d)) }
        // a new cpuset level inherits cpus and mems, or no task could join it
        #expect(try Files.read(root + "/cpuset/box/cpuset.cpus") == Array("0-1\n".utf8))
        #expect(try Files.read(root + "/cpuset/box/abc/cpuset.mems") == Array("0\n".utf8))
        try b.add(pid: 4242, to: "box/abc")
        #expect(try Files.read(root + "/pids/box/abc/cgroup.procs") == Array("4242\n".utf8))
    }

    @Test func v2EnablesControllersOnTheWayAndRemoves() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.write(root + "/cgroup.controllers", Array("cpu memory pids\n".utf8))
        try Files.mkdirAll(root + "/box")
        try Files.write(root + "/box/cgroup.controllers", Array("memory pids\n".utf8))
        let b = CgroupV2(root: root)
        try b.create("box/abc")
        #expect(Files.isDirectory(root + "/box/abc"))
        #expect(try Files.read(root + "/box/cgroup.subtree_control") == Array("+memory +pids".utf8))
        try b.add(pid: 7, to: "box/abc")
        #expect(try Files.read(root + "/box/abc/cgroup.procs") == Array("7\n".utf8))
        unlink(root + "/box/abc/cgroup.procs")
        try b.remove("box/abc")
        #expect(!Files.exists(root + "/box/abc"))
    }

    @Test func createFailureUndoesWhatItMade() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try Files.mkdirAll(root + "/memory")
        // a file where the second controller's directory should be: mkdir under it fails
        try Files.write(root + "/pids", [])
        let b = CgroupV1(root: root, controllers: ["memory", "pids"])
        #expect(throws: BoxError.self) { try b.create("box/x") }
        #expect(!Files.exists(root + "/memory/box"))
    }

    @Test func removeOfMissingIsFine() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        try CgroupV2(root: root).remove("box/none")
    }
}
