#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS

/// The manifest and config media types a committed image is recorded with (podman's `--format`).
public enum ManifestFormat: String, Sendable, CaseIterable {
    case oci, docker

    /// `oci` or `docker`; anything else is refused as podman refuses it.
    public init(parsing s: String) throws(BoxError) {
        guard let f = ManifestFormat(rawValue: s.lowercased()) else {
            throw BoxError(.invalidArgument, "unrecognized image type \"\(s)\"")
        }
        self = f
    }

    var manifestType: String { self == .oci ? MediaType.ociManifest : MediaType.dockerManifest }
    var configType: String { self == .oci ? MediaType.ociConfig : MediaType.dockerConfig }
    var gzipLayerType: String { self == .oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip }

    /// A base layer's media type in this format: gzip and plain tars have a name in both; others keep theirs.
    func layerType(_ t: String) -> String {
        switch t {
        case MediaType.ociLayerGzip, MediaType.dockerLayerGzip: gzipLayerType
        case MediaType.ociLayer, MediaType.dockerLayer: self == .oci ? MediaType.ociLayer : MediaType.dockerLayer
        default: t
        }
    }
}

/// What `box commit` was asked for besides the container.
public struct CommitOptions: Sendable {
    /// Dockerfile instructions for the config (`--change`).
    public var changes: [String] = []
    /// The history comment (`--message`).
    public var message: String?
    /// The author (`--author`), in the config and its new history step.
    public var author: String?
    /// A name for the new image; without one it is dangling.
    public var reference: String?
    public var format: ManifestFormat = .oci

    public init() {}

    /// Checks what can be refused before the container is touched: the name and the changes' syntax.
    /// Returns the parsed name.
    public func validate() throws(BoxError) -> Reference? {
        var scratch = ContainerConfig()
        try ConfigChanges.apply(changes, to: &scratch)
        guard let reference else { return nil }
        let name = try Reference(parsing: reference)
        if name.digest != nil { throw BoxError(.invalidArgument, "refusing to create a tag with a digest reference") }
        return name
    }
}

/// What the container gives a commit: its config as Docker commits it, the history's `created_by`, and the
/// function that writes its writable layer as tar entries.
public struct CommitSource {
    /// The image the container was made from.
    public var base: ImageRecord
    /// The container's settings (Env, Cmd, Entrypoint, WorkingDir, User, Labels…) over its image's config.
    public var config: ContainerConfig
    /// Docker's `created_by` of a commit: the container's Cmd joined by spaces.
    public var createdBy: String
    /// Writes the layer's entries (not the end of the archive).
    public var writeLayer: (ArchiveWriter) throws(BoxError) -> Void

    public init(base: ImageRecord, config: ContainerConfig, createdBy: String,
                writeLayer: @escaping (ArchiveWriter) throws(BoxError) -> Void) {
        self.base = base
        self.config = config
        self.createdBy = createdBy
        self.writeLayer = writeLayer
    }
}

/// The config a commit writes: the base image's fields, the new config, one more history step.
struct CommittedConfig: Encodable {
    var created: String
    var author: String?
    var architecture: String
    var os: String
    var variant: String?
    var config: ContainerConfig
    var rootfs: RootFS
    var history: [History]
}

extension ImageStore {
    /// The DiffID of a tar with no entries (its two zero blocks): a commit of an unchanged container adds no layer.
    static let emptyLayer = Digest.of([UInt8](repeating: 0, count: 1024))

    /// Makes an image of a container's writable layer over its image (`box commit`).
    ///
    /// The layer is written gzip-compressed into a private staging directory, hashed, and unpacked by the same
    /// `LayerUnpacker` as a pull (which checks the DiffID and turns OCI whiteouts back into overlay ones). Only
    /// then, under the store lock, are the blob, the layer directory, the config, the manifest and the name put
    /// in place; if any of that fails, what this commit put in place is taken out again, so a failed commit
    /// (a full disk) leaves the store as it was. The base image's layers are shared, never copied.
    public func commit(_ source: CommitSource, options: CommitOptions) throws(BoxError) -> ImageRecord {
        let name = try options.validate()
        var container = source.config
        try ConfigChanges.apply(options.changes, to: &container)
        let baseConfig = try config(of: source.base)
        let baseManifest = try manifest(of: source.base)
        return try withStaging("commit") { (stage) throws(BoxError) -> ImageRecord in
            let layer = try writeLayer(source, stage: stage, format: options.format)
            let now = Time.now()
            var step = History(created: now, created_by: source.createdBy, author: options.author, comment: options.message)
            var layers = source.base.layers, sizes = source.base.layerSizes
            var descriptors = baseManifest.layers.map { d in
                var d = d
                d.mediaType = options.format.layerType(d.mediaType)
                return d
            }
            if let layer {
                layers.append(layer.diffID)
                sizes.append(layer.size)
                descriptors.append(layer.descriptor)
            } else {
                step.empty_layer = true
            }
            let config = CommittedConfig(created: now, author: options.author, architecture: baseConfig.architecture,
                                         os: baseConfig.os, variant: baseConfig.variant, config: container,
                                         rootfs: RootFS(diffIDs: layers), history: (baseConfig.history ?? []) + [step])
            let configBytes = try ImageStore.sortedJSON(config)
            let configDigest = Digest.of(configBytes)
            let manifest = Manifest(config: Descriptor(mediaType: options.format.configType, digest: configDigest,
                                                       size: Int64(configBytes.count)),
                                    layers: descriptors, mediaType: options.format.manifestType)
            let manifestBytes = try ImageStore.sortedJSON(manifest)
            let manifestDigest = Digest.of(manifestBytes)
            // the small blobs are written in the stage too, so nothing is written to blobs/ but renames
            try Files.writeAtomic(stage + "/config.json", configBytes)
            try Files.writeAtomic(stage + "/manifest.json", manifestBytes)
            let rec = ImageRecord(id: configDigest, manifest: manifestDigest, names: [], created: now, added: now,
                                  layers: layers, layerSizes: sizes)
            var moves = [(stage + "/config.json", paths.blob(configDigest.hex)),
                         (stage + "/manifest.json", paths.blob(manifestDigest.hex))]
            if let layer {
                moves.append((layer.blob, paths.blob(layer.descriptor.digest.hex)))
                if let dir = layer.dir { moves.append((dir, paths.layer(layer.diffID.hex))) }
            }
            return try place(moves, record: rec, name: name)
        }
    }

    /// A staged layer: the gzip blob, its descriptor, DiffID and size, and its unpacked directory (nil when the
    /// store has it already).
    struct StagedLayer {
        var blob: String
        var descriptor: Descriptor
        var diffID: Digest
        var size: Int64
        var dir: String?
    }

    /// Writes, hashes and unpacks the layer in `stage`; nil when it has no entries.
    private func writeLayer(_ source: CommitSource, stage: String, format: ManifestFormat) throws(BoxError) -> StagedLayer? {
        let blob = stage + "/layer.tar.gz"
        do {
            let fd = try check("create", blob) { open(blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            defer { close(fd) }
            let writer = try ArchiveWriter(fd: fd, name: blob, gzip: true)
            try source.writeLayer(writer)
            try writer.finish()
        }
        let (digest, blobSize) = try hashFile(blob)
        let (diffID, size) = try HashingSource(path: blob).finish()
        if diffID == ImageStore.emptyLayer { return nil }
        var dir: String?
        if !Files.exists(paths.layer(diffID.hex)) {
            dir = stage + "/layer"
            try Files.mkdirAll(stage + "/layer", mode: 0o755)
            try unpacker.unpack(blob: blob, into: stage + "/layer", diffID: diffID)
        }
        return StagedLayer(blob: blob, descriptor: Descriptor(mediaType: format.gzipLayerType, digest: digest, size: blobSize),
                           diffID: diffID, size: size, dir: dir)
    }

    /// Under the store lock: renames each staged file or directory to its place (unless the store has it), records
    /// the image and gives it `name`. On any failure the paths this call created are removed again.
    private func place(_ moves: [(String, String)], record: ImageRecord, name: Reference?) throws(BoxError) -> ImageRecord {
        try withLock(paths.root) { () throws(BoxError) -> ImageRecord in
            var placed: [String] = []
            do throws(BoxError) {
                var images = try list()
                for (from, to) in moves where !Files.exists(to) {
                    if !Files.isDirectory(from) {
                        // blobs are synced before they get their name, so a crash never leaves a torn blob
                        let fd = try check("open", from) { open(from, O_RDONLY | O_CLOEXEC) }
                        defer { close(fd) }
                        try check("fsync", from) { fsync(fd) }
                    }
                    try check("rename", from) { rename(from, to) }
                    placed.append(to)
                }
                let rec = ImageStore.upsert(record, names: name.map { [$0.description] } ?? [], in: &images)
                try JSON.write(ImageIndexFile(images: images), to: paths.imagesFile)
                return rec
            } catch {
                for p in placed.reversed() { try? Tree.remove(p) }
                throw error
            }
        }
    }
}
