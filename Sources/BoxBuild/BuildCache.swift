import BoxCore
import BoxImage
import BoxOCI

/// An image as a build holds it between steps: its config (exact bytes, so its ID is stable), and its layers.
struct StepImage: Sendable {
    var config: ImageConfig
    var bytes: [UInt8]
    var layers: [BuiltLayer]

    var id: Digest { Digest.of(bytes) }
    var shortID: String { String(id.hex.prefix(12)) }

    init(config: ImageConfig, layers: [BuiltLayer]) throws(BoxError) {
        self.config = config
        self.bytes = try ImageStore.encodeConfig(config)
        self.layers = layers
    }

    init(bytes: [UInt8], layers: [BuiltLayer]) throws(BoxError) {
        self.config = try JSON.decode(ImageConfig.self, from: bytes, what: "cached build step")
        self.bytes = bytes
        self.layers = layers
    }
}

/// The layer cache: one file per step key under `ROOT/buildcache/`, holding the step's config and layers.
///
/// A key is the sha256 of the parent image's ID, the instruction after substitution, the build arguments it
/// sees and, for COPY and ADD, a checksum of the files' contents and metadata. An entry is used only while the
/// store still has every layer it names (garbage collection of images may have taken them).
struct BuildCache {
    let dir: String
    let store: ImageStore

    struct Entry: Codable {
        var config: String
        var layers: [BuiltLayer]
    }

    init(store: ImageStore) throws(BoxError) {
        self.store = store
        dir = store.paths.root + "/buildcache"
        try Files.mkdirAll(dir, mode: 0o700)
    }

    static func key(parent: Digest, parts: [String]) -> Digest {
        var text = "box-build-v1\nparent=\(parent)\n"
        for p in parts { text += "\(p.utf8.count):\(p)\n" }
        return Digest.of(Array(text.utf8))
    }

    func lookup(_ key: Digest) -> StepImage? {
        guard let e = try? JSON.read(Entry.self, from: dir + "/" + key.hex), store.hasLayers(e.layers) else { return nil }
        return try? StepImage(bytes: Array(e.config.utf8), layers: e.layers)
    }

    func save(_ key: Digest, _ image: StepImage) throws(BoxError) {
        let e = Entry(config: String(decoding: image.bytes, as: UTF8.self), layers: image.layers)
        try Files.writeAtomic(dir + "/" + key.hex, try JSON.encode(e), mode: 0o600)
    }
}
