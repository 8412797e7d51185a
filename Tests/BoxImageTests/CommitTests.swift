#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxImage
import BoxOCI
import BoxTestSupport
import Testing

/// `ONBUILD` through `--change`, as `docker commit -c` takes it.
struct OnBuildChangeTests {
    @Test func triggersAreKeptInOrder() throws {
        var c = ContainerConfig()
        try ConfigChanges.apply(["ONBUILD RUN echo one", "onbuild COPY . /app"], to: &c)
        #expect(c.OnBuild == ["RUN echo one", "COPY . /app"])
    }

    @Test(arguments: [
        ("ONBUILD", "ONBUILD requires at least one argument"),
        ("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
        ("ONBUILD from busybox", "FROM isn't allowed as an ONBUILD trigger"),
        ("ONBUILD MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger"),
    ])
    func refused(change: String, message: String) {
        var c = ContainerConfig()
        #expect(throws: BoxError.self) { try ConfigChanges.apply([change], to: &c) }
        do { try ConfigChanges.apply([change], to: &c) } catch { #expect(error.message == message) }
    }
}

/// `ImageStore.commit`: the staged layer, the new config and manifest, and a failure that leaves nothing.
@Suite(.enabled(if: TestSupport.fixturesBuilt, "fixtures not built: run `make fixtures`"),
       .enabled(if: TestSupport.isRoot, "unpacking owners and trusted.overlay xattrs needs root"))
struct StoreCommitTests {
    static func source(_ base: ImageRecord, _ write: @escaping (ArchiveWriter) throws(BoxError) -> Void) -> CommitSource {
        var config = ContainerConfig()
        config.Cmd = ["sh"]
        return CommitSource(base: base, config: config, createdBy: "sh -c make", writeLayer: write)
    }

    @Test func addsOneLayerOverTheBaseAndSharesTheRest() throws {
        let t = try TempStore()
        let base = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))[0]
        var options = CommitOptions()
        options.reference = "made:v1"
        options.message = "a message"
        options.author = "someone"
        options.changes = ["ENV A=1", "ONBUILD RUN true"]
        let img = try t.store.commit(Self.source(base) { (w) throws(BoxError) in
            try w.add(.directory("etc"))
            try w.add(.file("etc/new", size: 0), bytes: Array("new\n".utf8))
        }, options: options)
        #expect(Array(img.layers.dropLast()) == base.layers)
        #expect(img.layers.count == base.layers.count + 1)
        #expect(try t.store.resolve("made:v1").id == img.id)
        let cfg = try t.store.config(of: img)
        #expect(cfg.rootfs.diff_ids == img.layers)
        #expect(cfg.author == "someone")
        #expect(cfg.config?.Env == ["A=1"] && cfg.config?.Cmd == ["sh"] && cfg.config?.OnBuild == ["RUN true"])
        let step = cfg.history?.last
        #expect(step?.comment == "a message" && step?.author == "someone" && step?.created_by == "sh -c make" && step?.empty_layer == nil)
        #expect(cfg.history?.count == (try t.store.config(of: base).history?.count ?? 0) + 1)
        let manifest = try t.store.manifest(of: img)
        #expect(manifest.mediaType == MediaType.ociManifest && manifest.config.mediaType == MediaType.ociConfig)
        #expect(Array(manifest.layers.dropLast()).map(\.digest) == (try t.store.manifest(of: base)).layers.map(\.digest))
        #expect(manifest.layers.last?.mediaType == MediaType.ociLayerGzip)
        // the layer directory is unpacked from the blob; the base's are the same directories
        #expect(try Files.read(t.store.paths.layer(img.layers.last!.hex) + "/etc/new") == Array("new\n".utf8))
        #expect(try Files.list(t.store.paths.layers).count == base.layers.count + 1)
        #expect(try Files.list(t.store.paths.tmp).isEmpty)
    }

    @Test func anUnchangedContainerAddsAnEmptyStepAndNoLayer() throws {
        let t = try TempStore()
        let base = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))[0]
        let blobs = try Files.list(t.store.paths.blobs).count
        var options = CommitOptions()
        options.format = .docker
        let img = try t.store.commit(Self.source(base) { (_) throws(BoxError) in }, options: options)
        #expect(img.layers == base.layers && img.names.isEmpty)
        #expect(try t.store.config(of: img).history?.last?.empty_layer == true)
        // the config and the manifest are the only new blobs
        #expect(try Files.list(t.store.paths.blobs).count == blobs + 2)
        let manifest = try t.store.manifest(of: img)
        #expect(manifest.mediaType == MediaType.dockerManifest && manifest.config.mediaType == MediaType.dockerConfig)
        #expect(manifest.layers.allSatisfy { $0.mediaType == MediaType.dockerLayerGzip })
    }

    @Test func aFailedCommitLeavesTheStoreAsItWas() throws {
        let t = try TempStore()
        let base = try t.store.load(.path(TestSupport.fixture("box-demo.oci.tar")))[0]
        let snapshot = t.snapshot
        var options = CommitOptions()
        options.reference = "never:v1"
        #expect(throws: BoxError.self) {
            try t.store.commit(Self.source(base) { (w) throws(BoxError) in
                try w.add(.file("half", size: 0), bytes: Array("x".utf8))
                throw BoxError(.io, "write layer: no space left on device")
            }, options: options)
        }
        #expect(t.snapshot == snapshot)
        #expect(throws: BoxError.self) { try t.store.resolve("never:v1") }
    }

    @Test(arguments: ["UPPER:case", "a b", "name:tag@sha256:" + String(repeating: "a", count: 64)])
    func refusesBadNamesBeforeWriting(reference: String) throws {
        var options = CommitOptions()
        options.reference = reference
        #expect(throws: BoxError.self) { _ = try options.validate() }
    }

    @Test func refusesABadChangeBeforeWriting() throws {
        var options = CommitOptions()
        options.changes = ["RUN echo hi"]
        #expect(throws: BoxError.self) { _ = try options.validate() }
    }

    @Test func formatNames() throws {
        #expect(try ManifestFormat(parsing: "OCI") == .oci)
        #expect(try ManifestFormat(parsing: "docker") == .docker)
        #expect(throws: BoxError.self) { try ManifestFormat(parsing: "v2s1") }
    }
}
