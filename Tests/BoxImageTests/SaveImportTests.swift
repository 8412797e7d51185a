#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxImage
import BoxOCI
import BoxTestSupport
import Testing

/// `--change` instructions, one table row each: the change and what the config shows after it.
struct ConfigChangeTests {
    static func applied(_ changes: [String]) throws -> ContainerConfig {
        var c = ContainerConfig()
        try ConfigChanges.apply(changes, to: &c)
        return c
    }

    @Test(arguments: [
        (["CMD [\"echo\", \"hi\"]"], ["echo", "hi"]),
        (["CMD echo $HOME \"a b\""], ["/bin/sh", "-c", "echo $HOME \"a b\""]),
        (["cmd [not json"], ["/bin/sh", "-c", "[not json"]),
    ])
    func cmdForms(changes: [String], cmd: [String]) throws {
        #expect(try Self.applied(changes).Cmd == cmd)
    }

    @Test func entrypointDropsACmdNotSetByTheChanges() throws {
        #expect(try Self.applied(["ENTRYPOINT [\"/x\"]"]).Cmd == nil)
        let c = try Self.applied(["CMD [\"a\"]", "ENTRYPOINT /x -y"])
        #expect(c.Entrypoint == ["/bin/sh", "-c", "/x -y"])
        #expect(c.Cmd == ["a"])
    }

    @Test(arguments: [
        (["ENV A=1"], ["A=1"]),
        (["ENV A=1 B=\"two words\" C='$A'"], ["A=1", "B=two words", "C=$A"]),
        (["ENV A legacy form  value"], ["A=legacy form  value"]),
        (["ENV A=1", "ENV B=$A:${A}:${NOPE:-dflt}:${A:+set}", "ENV A=2"], ["B=1:1:dflt:set", "A=2"]),
        (["ENV P=a\\ b \"q\\\"uote\"=x"], ["P=a b", "q\"uote=x"]),
    ])
    func env(changes: [String], env: [String]) throws {
        #expect(try Self.applied(changes).Env == env)
    }

    @Test func otherInstructions() throws {
        let c = try Self.applied([
            "LABEL a=b \"c d\"=e", "label legacy value here", "EXPOSE 80 53/udp 8000-8001/tcp", "USER app:staff",
            "VOLUME [\"/data\", \"/logs\"]", "VOLUME /x /y", "WORKDIR /srv", "WORKDIR app/../web", "STOPSIGNAL SIGINT",
        ])
        #expect(c.Labels == ["a": "b", "c d": "e", "legacy": "value here"])
        #expect(Set(c.ExposedPorts?.keys.map { $0 } ?? []) == ["80/tcp", "53/udp", "8000/tcp", "8001/tcp"])
        #expect(c.User == "app:staff")
        #expect(Set(c.Volumes?.keys.map { $0 } ?? []) == ["/data", "/logs", "/x", "/y"])
        #expect(c.WorkingDir == "/srv/web")
        #expect(c.StopSignal == "SIGINT")
        #expect(try Self.applied(["WORKDIR rel"]).WorkingDir == "/rel")
        #expect(try Self.applied(["STOPSIGNAL 9"]).StopSignal == "9")
        #expect(try Self.applied(["STOPSIGNAL RTMIN+3"]).StopSignal == "RTMIN+3")
        #expect(try Self.applied(["", "   "]) == ContainerConfig())
    }

    @Test(arguments: [
        ("FOO bar", "foo is not a valid change command"),
        ("RUN echo hi", "run is not a valid change command"),
        ("EXPOSE abc", "invalid containerPort: abc"),
        ("EXPOSE 80/xyz", "invalid proto: xyz"),
        ("EXPOSE 90-80", "invalid containerPort: 90-80"),
        ("STOPSIGNAL NOPE", "invalid signal: NOPE"),
        ("ENV A=\"open", "unexpected end of statement while looking for matching double-quote"),
        ("ENV A", "ENV must have two arguments"),
        ("ENV A=1 B", "syntax error - can't find = in \"B\". Must be of the form: name=value"),
        ("USER a b", "USER requires exactly one argument"),
        ("CMD", "CMD requires at least one argument"),
        ("VOLUME [\"\"]", "VOLUME specified can not be an empty string"),
    ])
    func refused(change: String, message: String) {
        #expect(throws: BoxError.self) { try Self.applied([change]) }
        do { _ = try Self.applied([change]) } catch { #expect((error as? BoxError)?.message == message) }
    }

    @Test(arguments: [
        ("linux/arm64/v8", Platform(architecture: "arm64", os: "linux", variant: "v8")),
        ("linux/x86_64", Platform(architecture: "amd64", os: "linux")),
        ("riscv64", Platform(architecture: "riscv64", os: "linux")),
    ])
    func platforms(text: String, platform: Platform) throws {
        #expect(try ImportOptions.platform(text) == platform)
    }
}

/// Writes a tar with the given entries (regular files get `content`) into `path`.
func writeTar(_ path: String, _ entries: [(String, TarEntry.Kind, String)]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    defer { close(fd) }
    let w = try ArchiveWriter(fd: fd, name: path)
    for (name, kind, content) in entries {
        var e = TarEntry(path: Array(name.utf8), kind: kind, mode: kind == .directory ? 0o755 : 0o644)
        if kind == .symlink || kind == .hardlink { e.link = Array(content.utf8) }
        if kind == .file { try w.add(e, bytes: Array(content.utf8)) } else { try w.add(e) }
    }
    try w.finish()
}

@Suite(.enabled(if: TestSupport.fixturesBuilt, "fixtures not built: run `make fixtures`"),
       .enabled(if: TestSupport.isRoot, "unpacking owners and trusted.overlay xattrs needs root"))
struct SaveImportTests {
    /// Saves images of `t` into a file and returns its path.
    func save(_ t: TempStore, _ refs: [String], _ format: ArchiveFormat, to path: String) throws {
        let out = try ArchiveOutput(path: path, failure: "failed to save image")
        try t.store.save(try t.store.saveItems(refs), format: format, to: try ArchiveWriter(fd: out.fd, name: path))
        try out.commit()
    }

    @Test(arguments: ArchiveFormat.allCases)
    func saveThenLoadKeepsIDsAndNames(format: ArchiveFormat) throws {
        let a = try TempStore(), b = try TempStore()
        let loaded = try a.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        let file = a.root + "/out.tar"
        try save(a, ["box-demo:latest", "box-demo:entrypoint"], format, to: file)
        let again = try b.store.load(.path(file))
        #expect(Set(again.map(\.id)) == Set(loaded.map(\.id)))
        #expect(Set(again.flatMap(\.names)) == Set(loaded.flatMap(\.names)))
        // the two images share their layers: each is stored once in the archive
        let names = TestSupport.run(["/bin/tar", "tf", file]).stdout.split(separator: "\n")
        #expect(names.filter { $0.hasSuffix("layer.tar") || ($0.hasPrefix("blobs/sha256/") && !$0.hasSuffix("/")) }.count == (format == .dockerArchive ? 2 : 6))
        #expect(try Files.list(b.store.paths.layers).count == 2)
    }

    @Test func dockerArchiveLayersAreUncompressedAndNamedByTheirStack() throws {
        let t = try TempStore()
        let img = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))[0]
        let file = t.root + "/d.tar"
        try save(t, ["box-demo:latest"], .dockerArchive, to: file)
        let manifest = try JSON.decode([DockerArchiveEntry].self,
                                       from: Array(TestSupport.run(["/bin/tar", "xOf", file, "manifest.json"]).stdout.utf8), what: "manifest")
        #expect(manifest.count == 1 && manifest[0].RepoTags == ["box-demo:latest"])
        #expect(manifest[0].Config == img.id.hex + ".json")
        #expect(manifest[0].Layers[0] == img.layers[0].hex + "/layer.tar")
        let chain = Digest.of(Array("\(img.layers[0]) \(img.layers[1])".utf8))
        #expect(manifest[0].Layers[1] == chain.hex + "/layer.tar")
        for (path, diff) in zip(manifest[0].Layers, img.layers) {
            let sum = TestSupport.run(["/bin/sh", "-c", "tar xOf '\(file)' '\(path)' | sha256sum"]).stdout
            #expect(sum.hasPrefix(diff.hex))
        }
        #expect(TestSupport.run(["/bin/tar", "xOf", file, "repositories"]).stdout == "{\"box-demo\":{\"latest\":\"\(chain.hex)\"}}")
    }

    @Test func sameImagesGiveTheSameBytes() throws {
        let t = try TempStore()
        _ = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        for format in ArchiveFormat.allCases {
            try save(t, ["box-demo"], format, to: t.root + "/1.tar")
            try save(t, ["box-demo"], format, to: t.root + "/2.tar")
            #expect(try Files.read(t.root + "/1.tar") == (try Files.read(t.root + "/2.tar")))
        }
    }

    @Test func namesResolveAsDockerDoes() throws {
        let t = try TempStore()
        let loaded = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))
        // a repository without a tag: every tag of it
        #expect(Set(try t.store.saveItems(["box-demo"]).flatMap(\.names)).count == 2)
        // by ID: no name; asked twice: once, with the name it was asked by
        let byID = try t.store.saveItems([loaded[0].shortID])
        #expect(byID.count == 1 && byID[0].names.isEmpty)
        let twice = try t.store.saveItems([loaded[0].shortID, "box-demo:latest"])
        #expect(twice.count == 1 && twice[0].names == ["docker.io/library/box-demo:latest"])
        #expect(throws: BoxError.self) { try t.store.saveItems(["box-demo:nope"]) }
    }

    @Test func failedSaveLeavesNoFile() throws {
        let t = try TempStore()
        let file = t.root + "/never.tar"
        #expect(throws: BoxError.self) { try save(t, ["no-such-image"], .dockerArchive, to: file) }
        #expect(!Files.exists(file))
        #expect(try Files.list(t.root).allSatisfy { !$0.contains("tmp-") })
    }

    @Test(arguments: ["tar", "gzip", "xz"])
    func importMakesAOneLayerImage(compression: String) throws {
        let t = try TempStore()
        let tar = t.root + "/rootfs.tar"
        try writeTar(tar, [("bin/", .directory, ""), ("bin/hello", .file, "hi\n"), ("etc/", .directory, ""),
                           ("etc/link", .symlink, "../bin/hello"), ("etc/hard", .hardlink, "bin/hello")])
        var input = tar
        if compression != "tar" {
            #expect(TestSupport.run(["/usr/bin/" + compression, "-k", tar]).status == 0)
            input = tar + (compression == "gzip" ? ".gz" : ".xz")
        }
        var options = ImportOptions()
        options.changes = ["CMD [\"/bin/hello\"]", "ENV A=1"]
        options.message = "from a test"
        options.reference = "imported:\(compression)"
        let img = try t.store.importRootfs(.path(input), options: options)
        #expect(img.names == ["docker.io/library/imported:\(compression)"])
        #expect(img.layers.count == 1)
        // the DiffID is the sha256 of the uncompressed tar, whatever the input's compression
        #expect(img.layers[0] == (try hashFile(tar)).0)
        let config = try t.store.config(of: img)
        #expect(config.config?.Cmd == ["/bin/hello"] && config.config?.Env == ["A=1"])
        #expect(config.architecture == Platform.host.architecture && config.os == "linux")
        #expect(config.history?.first?.created_by == "Imported from \(input)")
        #expect(config.history?.first?.comment == "from a test")
        let layer = t.store.paths.layer(img.layers[0].hex)
        #expect(try Files.read(layer + "/bin/hello") == Array("hi\n".utf8))
        let manifest = try t.store.manifest(of: img)
        let expected = ["tar": MediaType.ociLayer, "gzip": MediaType.ociLayerGzip, "xz": MediaType.ociLayer][compression]
        #expect(manifest.layers[0].mediaType == expected)
        #expect(Files.exists(t.store.paths.blob(manifest.layers[0].digest.hex)))
    }

    @Test(arguments: [
        [("../escape.txt", TarEntry.Kind.file, "x")],
        [("/abs.txt", TarEntry.Kind.file, "x")],
        [("link", TarEntry.Kind.symlink, "/tmp"), ("link/escaped.txt", TarEntry.Kind.file, "x")],
    ])
    func hostileImportChangesNothing(entries: [(String, TarEntry.Kind, String)]) throws {
        let t = try TempStore()
        _ = try t.store.load(.path(TestSupport.fixture("hostile/valid.oci.tar")))
        let before = t.snapshot
        let tar = TestSupport.tempDir("box-import") + "/bad.tar"
        defer { TestSupport.removeTree(Files.dirname(tar)) }
        try writeTar(tar, entries)
        var options = ImportOptions()
        options.reference = "bad"
        #expect(throws: BoxError.self) { try t.store.importRootfs(.path(tar), options: options) }
        #expect(t.snapshot == before)
        for escaped in ["/tmp/escaped.txt", "/abs.txt", t.root + "/../escape.txt"] { #expect(!Files.exists(escaped)) }
    }

    @Test func badChangeIsRefusedBeforeTheTarballIsRead() throws {
        let t = try TempStore()
        let before = t.snapshot
        var options = ImportOptions()
        options.changes = ["FROM scratch"]
        #expect(throws: BoxError.self) { try t.store.importRootfs(.path("/no/such/file"), options: options) }
        #expect(t.snapshot == before)
    }
}
