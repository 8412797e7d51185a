#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS

/// A layer that a build step stored: its blob's descriptor, its DiffID and its uncompressed size.
public struct BuiltLayer: Codable, Sendable, Equatable {
    public var descriptor: Descriptor
    public var diffID: Digest
    public var size: Int64

    public init(descriptor: Descriptor, diffID: Digest, size: Int64) {
        self.descriptor = descriptor
        self.diffID = diffID
        self.size = size
    }
}

/// What `box build` needs from the store: layers written as `commit` writes them, and the final image recorded.
extension ImageStore {
    /// Writes a layer with `write` (a gzip OCI layer tar, as `commit` writes one), hashes it, unpacks it with the
    /// pull's unpacker, and moves the blob and the layer directory into the store. Returns nil when the tar has
    /// no entries. The stored layer belongs to no image yet: the caller holds `buildGuard()` until the image
    /// that uses it is recorded, which keeps garbage collection away.
    public func storeLayer(_ write: (ArchiveWriter) throws(BoxError) -> Void) throws(BoxError) -> BuiltLayer? {
        try withStaging("build") { (stage) throws(BoxError) -> BuiltLayer? in
            let blob = stage + "/layer.tar.gz"
            do {
                let fd = try check("create", blob) { open(blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
                defer { close(fd) }
                let writer = try ArchiveWriter(fd: fd, name: blob, gzip: true)
                try write(writer)
                try writer.finish()
            }
            let (digest, blobSize) = try hashFile(blob)
            let (diffID, size) = try HashingSource(path: blob).finish()
            if diffID == ImageStore.emptyLayer { return nil }
            if !Files.exists(paths.layer(diffID.hex)) {
                let dir = stage + "/layer"
                try Files.mkdirAll(dir, mode: 0o755)
                try unpacker.unpack(blob: blob, into: dir, diffID: diffID)
                try storeLayer(dir, diffID)
            }
            try storeBlob(blob, digest)
            return BuiltLayer(descriptor: Descriptor(mediaType: MediaType.ociLayerGzip, digest: digest, size: blobSize),
                              diffID: diffID, size: size)
        }
    }

    /// A shared lock on `tmp/` for a build's whole run: garbage collection skips its sweep while it is held, so
    /// layers stored by earlier steps survive until the image is recorded.
    public func buildGuard() throws(BoxError) -> FileLock {
        try FileLock(paths.tmp, shared: true)
    }

    /// The bytes of a config as the store writes them (sorted keys), so the same config has the same digest.
    public static func encodeConfig(_ config: ImageConfig) throws(BoxError) -> [UInt8] {
        try sortedJSON(config)
    }

    /// Whether the store holds every layer directory and blob a cached step needs.
    public func hasLayers(_ layers: [BuiltLayer]) -> Bool {
        layers.allSatisfy { Files.exists(paths.layer($0.diffID.hex)) && Files.exists(paths.blob($0.descriptor.digest.hex)) }
    }

    /// The layers of an image as `BuiltLayer`s (its manifest's descriptors with the config's DiffIDs).
    public func builtLayers(of image: ImageRecord) throws(BoxError) -> [BuiltLayer] {
        let m = try manifest(of: image)
        guard m.layers.count == image.layers.count else {
            throw BoxError(.invalidImage, "image \(image.shortID): manifest and config disagree on the layers")
        }
        return zip(m.layers, zip(image.layers, image.layerSizes)).map {
            BuiltLayer(descriptor: $0.0, diffID: $0.1.0, size: $0.1.1)
        }
    }

    /// Records a built image: its config (exactly these bytes) and an OCI manifest over `layers` (all stored
    /// already), with `names` moved to it. Returns the stored record.
    public func recordBuilt(config: [UInt8], layers: [BuiltLayer], names: [Reference]) throws(BoxError) -> ImageRecord {
        let decoded = try JSON.decode(ImageConfig.self, from: config, what: "built image config")
        let configDigest = Digest.of(config)
        let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(config.count)),
                                layers: layers.map(\.descriptor), mediaType: MediaType.ociManifest)
        let manifestBytes = try ImageStore.sortedJSON(manifest)
        let manifestDigest = Digest.of(manifestBytes)
        try putBlob(config, configDigest)
        try putBlob(manifestBytes, manifestDigest)
        let now = Time.now()
        let rec = ImageRecord(id: configDigest, manifest: manifestDigest, names: [], created: decoded.created ?? now, added: now,
                              layers: layers.map(\.diffID), layerSizes: layers.map(\.size))
        return try update { (images) throws(BoxError) -> ImageRecord in
            ImageStore.upsert(rec, names: names.map(\.description), in: &images)
        }
    }
}
