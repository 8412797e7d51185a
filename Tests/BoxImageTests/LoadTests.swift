#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxImage
import BoxOCI
import BoxTestSupport
import CBox
import Testing

/// A temporary store for one test.
final class TempStore {
    let root = TestSupport.tempDir("box-store")
    let store: ImageStore

    init() throws {
        store = try ImageStore(paths: BoxPaths(root: root, runRoot: root + "/run"))
    }

    /// Everything in the store, as relative paths, to compare before and after.
    var snapshot: [String] {
        TestSupport.run(["/usr/bin/find", root, "-mindepth", "1"]).stdout.split(separator: "\n").map(String.init).sorted()
    }

    deinit { TestSupport.removeTree(root) }
}

@Suite(.enabled(if: TestSupport.fixturesBuilt, "fixtures not built: run `make fixtures`"),
       .enabled(if: TestSupport.isRoot, "unpacking owners and trusted.overlay xattrs needs root"))
struct LoadTests {
    @Test func loadsOCIArchiveWithSharedLayers() throws {
        let t = try TempStore()
        let loaded = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        #expect(loaded.count == 2)
        let names = Set(loaded.flatMap(\.names))
        #expect(names == ["docker.io/library/box-demo:latest", "docker.io/library/box-demo:entrypoint"])
        // two images, two layers: each layer unpacked once and shared
        #expect(loaded[0].layers == loaded[1].layers)
        #expect(try Files.list(t.store.paths.layers).count == 2)
        #expect(try t.store.resolve("box-demo").id == loaded[0].id)
    }

    /// A pull or load in progress (a shared lock on tmp/) keeps garbage collection from removing layers it
    /// has stored but not yet recorded; the next collection takes them.
    @Test func garbageCollectionWaitsForPullsAndLoads() throws {
        let t = try TempStore()
        _ = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        let pulling = try FileLock(t.store.paths.tmp, shared: true)
        _ = try t.store.remove("box-demo:latest", force: false, usedBy: { _ in nil })
        _ = try t.store.remove("box-demo:entrypoint", force: false, usedBy: { _ in nil })
        #expect(try t.store.list().isEmpty)
        #expect(try Files.list(t.store.paths.layers).count == 2, "layers went while a pull held tmp/")
        pulling.unlock()
        try t.store.collectGarbage()
        #expect(try Files.list(t.store.paths.layers).isEmpty)
        #expect(try Files.list(t.store.paths.blobs).isEmpty)
    }

    /// Loading an image the store has (say, after a pull) keeps its RepoDigests and the time it was added.
    @Test func reloadKeepsRepoDigests() throws {
        let t = try TempStore()
        let first = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))[0]
        let pulled = "reg.example/team/demo@" + first.manifest.description
        try t.store.update { (records) throws(BoxError) in ImageStore.addRepoDigest(pulled, to: first.id, in: &records) }
        let again = try t.store.load(.path(TestSupport.fixture("box-demo.docker.tar")))
        let rec = try #require(again.first { $0.id == first.id })
        #expect(rec.repoDigests == [pulled])
        #expect(rec.added == first.added)
    }

    @Test func whiteoutsBecomeOverlayWhiteouts() throws {
        let t = try TempStore()
        let img = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))[0]
        let top = t.store.paths.layer(img.layers[1].hex)
        var st = stat()
        #expect(lstat(top + "/etc/obsolete.txt", &st) == 0)
        #expect((st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0)
        var v: [UInt8] = [0]
        #expect(getxattr(top + "/opt/data", "trusted.overlay.opaque", &v, 1) == 1 && v[0] == UInt8(ascii: "y"))
        #expect(!Files.exists(top + "/opt/data/.wh..wh..opq"))
        #expect(Files.exists(top + "/opt/data/c.txt"))
        let base = t.store.paths.layer(img.layers[0].hex)
        #expect(lstat(base + "/home/app", &st) == 0 && st.st_uid == 1000)
    }

    @Test func dockerArchiveGivesSameImageIDs() throws {
        let t = try TempStore()
        let oci = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        let docker = try t.store.load(.path(TestSupport.fixture("box-demo.docker.tar")))
        #expect(Set(oci.map(\.id)) == Set(docker.map(\.id)))
        #expect(try t.store.list().count == 2)
        #expect(try Files.list(t.store.paths.layers).count == 2)
    }

    @Test func loadFromFileDescriptor() throws {
        let t = try TempStore()
        let fd = open(TestSupport.fixture("box-demo.docker.tar"), O_RDONLY)
        defer { close(fd) }
        let loaded = try t.store.load(.fd(fd, name: "stdin"))
        #expect(loaded.count == 2)
    }

    @Test(arguments: [
        "dotdot.oci.tar", "absolute.oci.tar", "symlink-parent.oci.tar", "hardlink-out.oci.tar",
        "symlink-then-hardlink.oci.tar", "truncated.oci.tar", "corrupt-digest.oci.tar", "bad-diffid.oci.tar",
        "not-a-tar.tar", "bad-manifest.oci.tar",
    ])
    func refusesHostileArchiveAndChangesNothing(file: String) throws {
        let t = try TempStore()
        _ = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        let before = t.snapshot
        let imagesBefore = try Files.read(t.store.paths.imagesFile)
        #expect(throws: BoxError.self) { try t.store.load(.path(TestSupport.fixture("hostile/" + file))) }
        #expect(t.snapshot == before)
        #expect(try Files.read(t.store.paths.imagesFile) == imagesBefore)
        // nothing escaped next to the store or into /tmp
        for escaped in ["/tmp/escaped.txt", "/tmp/escape.txt", "/tmp/escape2.txt", "/abs-escape.txt", t.root + "/../escape.txt"] {
            #expect(!Files.exists(escaped), "\(escaped) was written")
        }
    }

    @Test func staleStagingOfAKilledLoadIsSwept() throws {
        let t = try TempStore()
        // pid 2^22+1 is above the default pid_max, so no process has it
        let stale = t.store.paths.tmp + "/load-4194305-1"
        try Files.mkdirAll(stale + "/layer-x")
        let live = t.store.paths.tmp + "/load-\(getpid())-2"
        try Files.mkdirAll(live)
        _ = try t.store.load(.path(TestSupport.fixture("hostile/valid.oci.tar")))
        #expect(!Files.exists(stale))
        #expect(Files.exists(live))
    }

    @Test func validControlArchiveLoads() throws {
        let t = try TempStore()
        #expect(try t.store.load(.path(TestSupport.fixture("hostile/valid.oci.tar"))).count == 1)
    }

    @Test func rmiKeepsSharedLayersAndCollectsTheRest() throws {
        let t = try TempStore()
        _ = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        _ = try t.store.load(.path(TestSupport.fixture("hostile/valid.oci.tar")))
        let layersBefore = try Files.list(t.store.paths.layers).count
        let lines = try t.store.remove("hostile-valid", force: false) { _ in nil }
        #expect(lines.first == "Untagged: hostile-valid:latest")
        #expect(lines.last?.hasPrefix("Deleted: sha256:") == true)
        #expect(try Files.list(t.store.paths.layers).count < layersBefore)
        // an image in use is refused without -f
        #expect(throws: BoxError.self) { try t.store.remove("box-demo:latest", force: false) { _ in "abc123" } }
        // one of two names of an image goes alone
        try t.store.tag("box-demo:latest", "extra:1")
        #expect(try t.store.remove("extra:1", force: false) { _ in nil } == ["Untagged: extra:1"])
        #expect(try t.store.list().count == 2)
        // an image whose layers another image shares: the image goes, the layers stay
        let entry = try t.store.resolve("box-demo:entrypoint")
        #expect(try t.store.remove("box-demo:entrypoint", force: false) { _ in nil }
            == ["Untagged: box-demo:entrypoint", "Deleted: \(entry.id)"])
        #expect(try t.store.list().count == 1)
        #expect(try Files.list(t.store.paths.layers).count == 2)
        #expect(!Files.exists(t.store.paths.blob(entry.id.hex)))
    }

    @Test func tagMovesName() throws {
        let t = try TempStore()
        let imgs = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        try t.store.tag("box-demo:entrypoint", "box-demo:latest")
        #expect(try t.store.resolve("box-demo:latest").id == imgs[1].id)
        #expect(throws: BoxError.self) { try t.store.tag("nope:1", "x:1") }
        #expect(throws: BoxError.self) { try t.store.tag("box-demo", "Bad Name") }
    }
}

@Suite struct LayerPathTests {
    @Test(arguments: ["../x", "a/../../x", "/abs", "a/..", ".."])
    func refuses(p: String) {
        #expect(throws: BoxError.self) { try LayerPath(p) }
    }

    @Test(arguments: [("./a/b", ["a", "b"]), ("a//b/", ["a", "b"]), ("./", [String]()), ("a/./b", ["a", "b"])])
    func normalizes(p: String, want: [String]) throws {
        #expect(try LayerPath(p).components == want)
    }
}

@Suite struct ArchiveLinkTests {
    @Test(arguments: [("../b.tar", "a", "b.tar"), ("x/../y", "", "y"), ("./c", "a/b", "a/b/c")])
    func resolvesInside(target: String, base: String, want: String) throws {
        #expect(try StagedFiles.resolve(target, from: base) == want)
    }

    @Test(arguments: [("../../x", "a"), ("/etc/passwd", "a"), ("..", "")])
    func refusesOutside(target: String, base: String) {
        #expect(throws: BoxError.self) { try StagedFiles.resolve(target, from: base) }
    }
}
