#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxCgroups
import BoxTestSupport
import Testing

/// Killing what is left in a container's cgroup when its main process ends.
@Suite struct KillAllTests {
    @Test func v2WritesCgroupKill() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        let dir = root + "/box/abc"
        try Files.mkdirAll(dir)
        try Files.write(dir + "/cgroup.kill", [])
        try Files.write(dir + "/cgroup.procs", Array("999999\n".utf8))
        CgroupV2(root: root).killAll("box/abc")
        #expect(try Files.read(dir + "/cgroup.kill") == Array("1".utf8))
    }

    @Test func v1SignalsEachListedProcess() throws {
        let root = TestSupport.tempDir("cg")
        defer { TestSupport.removeTree(root) }
        let dir = root + "/pids/box/abc"
        try Files.mkdirAll(dir)
        let child = fork()
        if child == 0 {
            pause()
            _exit(0)
        }
        try Files.write(dir + "/cgroup.procs", Array("\(child)\n".utf8))
        // a fake tree does not empty itself, so killAll keeps trying for its full second; the kill is seen by reaping
        CgroupV1(root: root, controllers: ["pids"]).killAll("box/abc")
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
        #expect(status & 0x7f == SIGKILL)
    }
}
