#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxTestSupport
import Testing

/// `CopyExtractor`: Docker's untar rules for `box cp`, on the image unpacker's `EntryWriter`.
struct CopyExtractorTests {
    @Test(arguments: [
        ("a/b", "a/b"), ("/a/b", "/a/b"), ("a/../b", "b"), ("../a", "../a"), ("/../a", "/a"), ("a//b/./", "a/b"),
        ("", "."), (".", "."), ("a/..", "."), ("/", "/"), ("../../x", "../../x"), ("x/../../y", "../y"),
    ])
    func clean(_ raw: String, _ want: String) {
        #expect(CopyExtractor.clean(raw) == want)
    }

    /// A tar with the given entries (a file's content after `=`, a directory's name ending in `/`) in a temp file.
    func tar(_ entries: [String]) throws -> String {
        let dir = TestSupport.tempDir("box-cpx")
        let path = dir + "/t.tar"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let w = try ArchiveWriter(fd: fd, name: path)
        for e in entries {
            if e.hasSuffix("/") {
                try w.add(TarEntry.directory(String(e.dropLast())))
            } else {
                let parts = e.split(separator: "=", maxSplits: 1).map(String.init)
                try w.add(TarEntry.file(parts[0], size: 0), bytes: Array((parts.count > 1 ? parts[1] : "").utf8))
            }
        }
        try w.finish()
        return path
    }

    func extract(_ tarPath: String, into dir: String, atomic: Bool = true) throws(BoxError) {
        let fd = open(tarPath, O_RDONLY)
        let d = open(dir, O_RDONLY | O_DIRECTORY)
        defer { close(fd); close(d) }
        try CopyExtractor(owner: .caller, atomicFiles: atomic, display: dir).extract(fd: fd, name: tarPath, into: d)
    }

    func read(_ p: String) -> String? { (try? Files.read(p)).map { String(decoding: $0, as: UTF8.self) } }

    @Test func absoluteNamesAreConfinedAndEscapesRefused() throws {
        let out = TestSupport.tempDir("box-cpx-out")
        defer { TestSupport.removeTree(out) }
        let t = try tar(["/abs/f=abs", "sub/../g=g", "../esc=esc"])
        defer { TestSupport.removeTree(Files.dirname(t)) }
        do {
            try extract(t, into: out)
            Issue.record("an entry outside of the directory was accepted")
        } catch {
            #expect(error.message == "\"../esc\" is outside of \"\(out)\"")
        }
        #expect(read(out + "/abs/f") == "abs")
        #expect(read(out + "/g") == "g")
        #expect(!Files.exists(Files.dirname(out) + "/esc"))
    }

    /// `.wh.` names are files here, not whiteouts; every file is renamed into place, leaving no temporary name.
    @Test(arguments: [true, false])
    func whiteoutNamesAreLiteral(atomic: Bool) throws {
        let out = TestSupport.tempDir("box-cpx-out")
        defer { TestSupport.removeTree(out) }
        try Files.write(out + "/victim", Array("keep".utf8))
        let t = try tar([".wh.victim=wh", "d/", "d/.wh..wh..opq=opq", "d/x=x"])
        defer { TestSupport.removeTree(Files.dirname(t)) }
        try extract(t, into: out, atomic: atomic)
        #expect(read(out + "/victim") == "keep")
        #expect(read(out + "/.wh.victim") == "wh")
        #expect(read(out + "/d/.wh..wh..opq") == "opq")
        #expect(try Files.list(out).sorted() == [".wh.victim", "d", "victim"])
        #expect(try Files.list(out + "/d").sorted() == [".wh..wh..opq", "x"])
    }

    /// Docker's NoOverwriteDirNonDir: a directory is never replaced by a file, nor a file by a directory.
    @Test func directoriesAndFilesDoNotReplaceEachOther() throws {
        let out = TestSupport.tempDir("box-cpx-out")
        defer { TestSupport.removeTree(out) }
        try Files.mkdirAll(out + "/isdir")
        try Files.write(out + "/isfile", Array("old".utf8))
        let t1 = try tar(["isdir=new"]), t2 = try tar(["isfile/"]), t3 = try tar(["isfile=new"])
        defer { for t in [t1, t2, t3] { TestSupport.removeTree(Files.dirname(t)) } }
        #expect {
            try extract(t1, into: out)
        } throws: { ($0 as? BoxError)?.message == "cannot overwrite directory \"\(out)/isdir\" with non-directory \"\(out)\"" }
        #expect {
            try extract(t2, into: out)
        } throws: { ($0 as? BoxError)?.message == "cannot overwrite non-directory \"\(out)/isfile\" with directory \"\(out)\"" }
        try extract(t3, into: out)
        #expect(read(out + "/isfile") == "new")
        #expect(Files.isDirectory(out + "/isdir"))
    }

    /// A symlink the tar made is not followed by a later entry below it.
    @Test func entriesBelowASymlinkAreRefused() throws {
        let out = TestSupport.tempDir("box-cpx-out")
        let outside = TestSupport.tempDir("box-cpx-outside")
        defer { TestSupport.removeTree(out); TestSupport.removeTree(outside) }
        let dir = TestSupport.tempDir("box-cpx")
        defer { TestSupport.removeTree(dir) }
        let path = dir + "/t.tar"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let w = try ArchiveWriter(fd: fd, name: path)
        var link = TarEntry(path: Array("l".utf8), kind: .symlink, mode: 0o777)
        link.link = Array(outside.utf8)
        try w.add(link)
        try w.add(TarEntry.file("l/planted", size: 0), bytes: Array("x".utf8))
        try w.finish()
        close(fd)
        #expect(throws: BoxError.self) { try extract(path, into: out) }
        #expect(try Files.list(outside).isEmpty)
    }
}
