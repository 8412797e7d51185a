#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxOCI
@testable import BoxRuntime
import BoxTestSupport
import CBox
import Testing

/// `box diff` and the layer of `box commit`, on a writable layer made by hand over two image layers.
@Suite(.enabled(if: TestSupport.isRoot, "overlay whiteouts (0:0 devices) and trusted.overlay xattrs need root"))
struct DiffTests {
    /// `upper` over `middle` over `lower`: a whiteout, an opaque directory the image had and one it did not, a
    /// name whited out in the image and made again, an unchanged directory with a changed file, a changed mode,
    /// new directories, a hard link, a symlink, and the `/etc/hosts` placeholder of a container's mount.
    static func makeLayers(in dir: String) throws -> (upper: String, lowers: [String]) {
        let upper = dir + "/upper", middle = dir + "/middle", lower = dir + "/lower"
        func file(_ p: String, _ s: String) throws { try Files.write(p, Array(s.utf8)) }
        for d in ["/a", "/b", "/d", "/etc"] { try Files.mkdirAll(lower + d) }
        try file(lower + "/a/x", "x\n")
        try file(lower + "/a/y", "y\n")
        try file(lower + "/b/old", "old\n")
        try file(lower + "/c", "c\n")
        try file(lower + "/d/keep", "keep\n")
        try file(lower + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        try Files.mkdirAll(middle)
        #expect(mknod(middle + "/c", S_IFCHR, 0) == 0)
        for d in ["/a", "/b", "/d", "/e", "/etc", "/newopq"] { try Files.mkdirAll(upper + d) }
        #expect(chmod(upper + "/a", 0o700) == 0)
        #expect(mknod(upper + "/a/x", S_IFCHR, 0) == 0)
        try file(upper + "/a/z", "z\n")
        #expect(setxattr(upper + "/b", "trusted.overlay.opaque", "y", 1, 0) == 0)
        try file(upper + "/b/new", "new\n")
        try file(upper + "/c", "c again\n")
        try file(upper + "/d/keep", "kept, changed\n")
        try file(upper + "/e/f", "f\n")
        #expect(link(upper + "/e/f", upper + "/e/g") == 0)
        #expect(symlink("../a/z", upper + "/e/s") == 0)
        try file(upper + "/etc/hosts", "")
        #expect(setxattr(upper + "/newopq", "trusted.overlay.opaque", "y", 1, 0) == 0)
        // the directories that hold only copied-up or placeholder entries keep the image's times
        for d in ["/d", "/etc"] { try sameTimes(upper + d, as: lower + d) }
        return (upper, [middle, lower])
    }

    static func sameTimes(_ path: String, as model: String) throws {
        var st = stat()
        #expect(stat(model, &st) == 0)
        var times = [st.st_atim, st.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    @Test func listsChangesByDockersRules() throws {
        let dir = TestSupport.tempDir("box-diff")
        defer { TestSupport.removeTree(dir) }
        let (upper, lowers) = try Self.makeLayers(in: dir)
        let changes = try ContainerDiff.changes(UpperWalk(upper: upper, lowers: lowers))
        #expect(changes.map { "\($0.kind.rawValue) \($0.path)" } == [
            "C /a", "D /a/x", "A /a/z",
            "D /b", "A /b/new",
            "A /c",
            "C /d/keep",
            "A /e", "A /e/f", "A /e/g", "A /e/s",
            "A /newopq",
        ])
    }

    @Test func theParentOfAnAdditionIsListedOnce() throws {
        let dir = TestSupport.tempDir("box-diff")
        defer { TestSupport.removeTree(dir) }
        let (upper, lowers) = try Self.makeLayers(in: dir)
        // /d is unchanged itself (as many entries, same times); a file added in it lists it as changed, before the
        // file, and only once
        #expect(unlink(upper + "/d/keep") == 0)
        try Files.write(upper + "/d/more", Array("m\n".utf8))
        try Self.sameTimes(upper + "/d", as: dir + "/lower/d")
        #expect(mknod(upper + "/a/y", S_IFCHR, 0) == 0)
        let lines = try ContainerDiff.changes(UpperWalk(upper: upper, lowers: lowers)).map { "\($0.kind.rawValue) \($0.path)" }
        #expect(lines.filter { $0.contains(" /d") } == ["C /d", "A /d/more"])
        #expect(lines.filter { $0.contains(" /a") } == ["C /a", "D /a/x", "D /a/y", "A /a/z"])
    }

    @Test func theLayerRecreatesTheUpperDirectory() throws {
        let dir = TestSupport.tempDir("box-diff")
        defer { TestSupport.removeTree(dir) }
        let (upper, lowers) = try Self.makeLayers(in: dir)
        let tar = dir + "/layer.tar"
        do {
            let fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            defer { close(fd) }
            let writer = try ArchiveWriter(fd: fd, name: tar)
            try LayerDiff.write(UpperWalk(upper: upper, lowers: lowers), to: writer)
            try writer.finish()
        }
        let listing = TestSupport.run(["/bin/tar", "tvf", tar]).stdout
        let names = TestSupport.run(["/bin/tar", "tf", tar]).stdout.split(separator: "\n").map(String.init)
        #expect(names.contains("a/.wh.x") && names.contains("b/.wh..wh..opq") && names.contains("newopq/.wh..wh..opq"))
        #expect(!names.contains { $0.hasPrefix("etc") }, "the mount placeholder and its directory stay out")
        #expect(listing.contains("e/g link to e/f") && listing.contains("e/s -> ../a/z"))
        #expect(listing.split(separator: "\n").contains { $0.hasPrefix("-rw-------") && $0.hasSuffix(" a/.wh.x") })
        // unpacked as a pull unpacks it, the layer shows the same tree over the image as the upper directory does
        let unpacked = dir + "/unpacked"
        try Files.mkdirAll(unpacked)
        try LayerUnpacker().unpack(blob: tar, into: unpacked, diffID: Digest.of(try Files.read(tar)))
        func merged(_ top: String) throws -> String {
            let out = dir + "/merged.tar"
            let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            defer { close(fd) }
            try FilesystemExport(layers: [top] + lowers).write(to: try ArchiveWriter(fd: fd, name: out))
            // names, kinds, modes, owners and sizes; not the times of the directories unpacking made
            return TestSupport.run(["/bin/sh", "-c", "tar tvf '\(out)' | awk '{print $1, $2, $3, $6, $7, $8}'"]).stdout
        }
        let fromLayer = try merged(unpacked)
        let fromUpper = try merged(upper).split(separator: "\n").filter { !$0.contains(" etc/hosts") }.joined(separator: "\n") + "\n"
        #expect(fromLayer == fromUpper)
        #expect(fromLayer.contains("b/new") && !fromLayer.contains("b/old") && !fromLayer.contains(" a/x"))
    }
}
