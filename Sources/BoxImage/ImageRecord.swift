import BoxCore
import BoxOCI

/// One image in the store: its config digest (the image ID), its manifest, its names and layers.
public struct ImageRecord: Codable, Hashable, Sendable {
    /// The config digest, Docker's image ID.
    public var id: Digest
    public var manifest: Digest
    /// Normalized references: `docker.io/library/busybox:latest`.
    public var names: [String]
    /// `repository@sha256:…` of the manifest this image was pulled as or pushed to (Docker's RepoDigests).
    public var repoDigests: [String]?
    /// The config's creation time (RFC 3339), if any.
    public var created: String?
    /// When the image entered this store (RFC 3339).
    public var added: String
    /// The sum of the uncompressed layer sizes.
    public var size: Int64
    /// The layers' DiffIDs, bottom first; each is a directory `layers/<hex>`.
    public var layers: [Digest]
    /// Uncompressed size of each layer, in the order of `layers`.
    public var layerSizes: [Int64]

    public init(id: Digest, manifest: Digest, names: [String], created: String?, added: String,
                layers: [Digest], layerSizes: [Int64]) {
        self.id = id
        self.manifest = manifest
        self.names = names
        self.created = created
        self.added = added
        self.layers = layers
        self.layerSizes = layerSizes
        self.size = layerSizes.reduce(0, +)
    }

    /// The 12-hex short ID people see.
    public var shortID: String { String(id.hex.prefix(12)) }
}

/// The image index file, `images.json`.
struct ImageIndexFile: Codable {
    var images: [ImageRecord]
}
