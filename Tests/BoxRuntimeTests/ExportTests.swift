#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxRuntime
import BoxTestSupport
import CBox
import Testing

/// `FilesystemExport` merges layer directories as overlayfs does: checked against the kernel's own overlay.
@Suite(.enabled(if: TestSupport.isRoot, "overlay whiteouts (0:0 devices) and trusted.overlay xattrs need root"))
struct ExportTests {
    /// Three layers, top first, covering whiteouts, an opaque directory, a file replaced by a directory, a
    /// directory hidden by a whiteout, hard links, a symlink and a FIFO.
    static func makeLayers(in dir: String) throws -> [String] {
        let upper = dir + "/upper", middle = dir + "/middle", lower = dir + "/lower"
        func file(_ p: String, _ s: String) throws { try Files.write(p, Array(s.utf8)) }
        for d in ["/a", "/b", "/d"] { try Files.mkdirAll(lower + d) }
        try file(lower + "/a/x", "x\n")
        try file(lower + "/a/y", "y\n")
        try file(lower + "/b/old", "old\n")
        try file(lower + "/c", "c\n")
        try file(lower + "/d/keep", "keep\n")
        try file(lower + "/hl1", "linked\n")
        #expect(link(lower + "/hl1", lower + "/hl2") == 0)
        #expect(symlink("a/x", lower + "/s") == 0)
        #expect(mkfifo(lower + "/fifo", 0o644) == 0)
        for d in ["/a", "/b", "/e"] { try Files.mkdirAll(middle + d) }
        #expect(mknod(middle + "/a/y", S_IFCHR, 0) == 0)
        #expect(setxattr(middle + "/b", "trusted.overlay.opaque", "y", 1, 0) == 0)
        try file(middle + "/b/new", "new\n")
        try file(middle + "/e/f", "f\n")
        for d in ["/a", "/c"] { try Files.mkdirAll(upper + d) }
        try file(upper + "/a/z", "z\n")
        try file(upper + "/c/inner", "inner\n")
        #expect(mknod(upper + "/d", S_IFCHR, 0) == 0)
        #expect(chmod(upper + "/a", 0o700) == 0)
        return [upper, middle, lower]
    }

    func export(_ layers: [String], to file: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        try FilesystemExport(layers: layers).write(to: try ArchiveWriter(fd: fd, name: file))
    }

    @Test func mergesAsTheKernelDoes() throws {
        let dir = TestSupport.tempDir("box-export")
        defer { TestSupport.removeTree(dir) }
        let layers = try Self.makeLayers(in: dir)
        let tar = dir + "/out.tar"
        try export(layers, to: tar)
        let ours = TestSupport.run(["/bin/tar", "tf", tar]).stdout.split(separator: "\n")
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : String($0) }
        #expect(ours == ["a", "a/x", "a/z", "b", "b/new", "c", "c/inner", "e", "e/f", "fifo", "hl1", "hl2", "s"])
        // the kernel's view, from a read-only overlay in a private mount namespace that dies with the command
        try Files.mkdirAll(dir + "/mnt")
        let script = "mount -t overlay overlay -o ro,lowerdir=\(layers.joined(separator: ":")) '\(dir)/mnt' && cd '\(dir)/mnt' && find . -mindepth 1 | sed 's|^./||' | LC_ALL=C sort"
        let kernel = TestSupport.run(["/usr/bin/unshare", "-m", "/bin/sh", "-c", script])
        #expect(kernel.status == 0, "\(kernel.stderr)")
        #expect(kernel.stdout.split(separator: "\n").map(String.init) == ours)

        let verbose = TestSupport.run(["/bin/tar", "tvf", tar]).stdout
        #expect(verbose.contains("hl2 link to hl1"))
        #expect(verbose.contains("s -> a/x"))
        #expect(verbose.split(separator: "\n").contains { $0.hasPrefix("drwx------") && $0.hasSuffix(" a/") })
        // no whiteout device ever reaches the tar
        #expect(!verbose.split(separator: "\n").contains { $0.hasPrefix("c") })
        #expect(TestSupport.run(["/bin/tar", "xOf", tar, "a/x"]).stdout == "x\n")
    }

    @Test func refusesALayerThatIsMissing() throws {
        let dir = TestSupport.tempDir("box-export")
        defer { TestSupport.removeTree(dir) }
        #expect(throws: BoxError.self) { try export([dir + "/nope"], to: dir + "/out.tar") }
    }
}
