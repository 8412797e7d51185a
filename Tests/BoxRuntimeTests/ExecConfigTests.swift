#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxRuntime
import BoxTestSupport
import CBox
import Testing

@Suite struct ExecConfigTests {
    /// `-e` values replace the container's entry of their key in place, or are appended.
    @Test(arguments: [
        (["PATH=/bin", "A=1"], ["A=2"], ["PATH=/bin", "A=2"]),
        (["PATH=/bin"], ["B=x=y"], ["PATH=/bin", "B=x=y"]),
        (["AB=1", "A=1"], ["A=3", "AB=2"], ["AB=2", "A=3"]),
        (["A=1"], ["A="], ["A="]),
    ])
    func environmentMerge(base: [String], extra: [String], want: [String]) {
        #expect(Executor.merge(base, extra) == want)
    }

    @Test func lastValueOfAKey() {
        #expect(Executor.value("PATH", in: ["PATHX=1", "PATH=/a", "PATH=/b"]) == "/b")
        #expect(Executor.value("HOME", in: ["PATH=/a"]) == nil)
    }

    /// Only the namespaces a spec lists are joined: a `--network host` container has no network namespace.
    @Test func namespacesOfTheSpec() {
        let all = Executor.namespaceFlags(["pid", "mount", "uts", "ipc", "cgroup", "network"])
        #expect(all == BOX_CLONE_NEWPID | BOX_CLONE_NEWNS | BOX_CLONE_NEWUTS | BOX_CLONE_NEWIPC | BOX_CLONE_NEWCGROUP | BOX_CLONE_NEWNET)
        let host = Executor.namespaceFlags(["pid", "mount", "uts", "ipc", "cgroup"])
        #expect(host & BOX_CLONE_NEWNET == 0)
        #expect(Executor.namespaceFlags(["user"]) == BOX_CLONE_NEWUSER)
    }

    /// A container's files are read as the container resolves them: symlinks and `..` stay inside its root.
    @Test func containerFilesStayInsideTheRoot() throws {
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        let root = dir + "/root"
        try Files.mkdirAll(root + "/etc")
        try Files.mkdirAll(root + "/real")
        try Files.write(root + "/real/passwd", Array("inside\n".utf8))
        try Files.write(dir + "/outside", Array("outside\n".utf8))
        symlink("/real/passwd", root + "/etc/passwd")
        symlink("../../../../outside", root + "/etc/escape")
        symlink("/proc/self/root/etc/hostname", root + "/etc/magic")
        mkfifo(root + "/etc/fifo", 0o600)
        let fd = open(root, BOX_O_PATH | O_DIRECTORY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        // an absolute link is taken from the container's root, not the host's
        #expect(ContainerFiles.read(root: fd, "/etc/passwd") == Array("inside\n".utf8))
        // `..` stops at the root: ../../../../outside is /outside in the container, which does not exist
        #expect(ContainerFiles.read(root: fd, "/etc/escape") == nil)
        #expect(ContainerFiles.read(root: fd, "/../outside") == nil)
        // magic links of /proc are refused; a FIFO is not read (and does not block)
        #expect(ContainerFiles.read(root: fd, "/etc/magic") == nil)
        #expect(ContainerFiles.read(root: fd, "/etc/fifo") == nil)
        #expect(ContainerFiles.read(root: fd, "/real/passwd", limit: 3) == nil)
    }
}
