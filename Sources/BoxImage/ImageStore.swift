#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS

/// The content-addressed image store: blobs once under `blobs/sha256/`, each layer unpacked once under
/// `layers/<diffid>`, and `images.json` naming the images. Writers hold an exclusive lock on the root.
public final class ImageStore: @unchecked Sendable {
    public let paths: BoxPaths
    public let unpacker: LayerUnpacker

    /// Opens the store, creating its directories on first use.
    public init(paths: BoxPaths, unpacker: LayerUnpacker = LayerUnpacker()) throws(BoxError) {
        self.paths = paths
        self.unpacker = unpacker
        for d in [paths.root, paths.blobs, paths.layers, paths.tmp] { try Files.mkdirAll(d, mode: 0o700) }
    }

    // MARK: reading

    /// Every image, in the order they were added.
    public func list() throws(BoxError) -> [ImageRecord] {
        guard Files.exists(paths.imagesFile) else { return [] }
        return try JSON.read(ImageIndexFile.self, from: paths.imagesFile).images
    }

    /// Finds an image by name (normalized as Docker does), full or short ID, or `sha256:` ID.
    public func resolve(_ ref: String) throws(BoxError) -> ImageRecord {
        let images = try list()
        if let hit = ImageStore.match(ref, in: images) { return hit }
        // a bad reference that is not an ID prefix is a format error, not a missing image
        if !ImageStore.isIDPrefix(ref) { _ = try Reference(parsing: ref) }
        throw BoxError(.notFound, "\(ref): image not known")
    }

    static func isIDPrefix(_ s: String) -> Bool {
        let hex = s.hasPrefix("sha256:") ? String(s.dropFirst(7)) : s
        return !hex.isEmpty && hex.count <= 64 && hex.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    static func match(_ ref: String, in images: [ImageRecord]) -> ImageRecord? {
        if let r = try? Reference(parsing: ref) {
            let name = r.description
            if let hit = images.first(where: { $0.names.contains(name) }) { return hit }
            // name@digest: the digest it was pulled or pushed by (an index's, too), else the manifest's
            if let d = r.digest {
                let named = "\(r.repository)@\(d)"
                if let hit = images.first(where: { $0.repoDigests?.contains(named) == true }) { return hit }
                if let hit = images.first(where: { $0.manifest == d || $0.id == d }) { return hit }
            }
        }
        if isIDPrefix(ref) {
            let hex = ref.hasPrefix("sha256:") ? String(ref.dropFirst(7)) : ref
            let hits = images.filter { $0.id.hex.hasPrefix(hex) }
            if hits.count == 1 { return hits[0] }
        }
        return nil
    }

    /// The image's config.
    public func config(of image: ImageRecord) throws(BoxError) -> ImageConfig {
        try JSON.decode(ImageConfig.self, from: try Files.read(paths.blob(image.id.hex)), what: "image config \(image.id)")
    }

    /// The image's manifest.
    public func manifest(of image: ImageRecord) throws(BoxError) -> Manifest {
        try JSON.decode(Manifest.self, from: try Files.read(paths.blob(image.manifest.hex)), what: "manifest \(image.manifest)")
    }

    /// The layer directories of an image, bottom first.
    public func layerDirs(of image: ImageRecord) -> [String] {
        image.layers.map { paths.layer($0.hex) }
    }

    // MARK: writing

    /// Runs `body` on the image list under the store lock and saves what it returns.
    func update<T>(_ body: (inout [ImageRecord]) throws(BoxError) -> T) throws(BoxError) -> T {
        try withLock(paths.root) { () throws(BoxError) -> T in
            var images = try list()
            let out = try body(&images)
            try JSON.write(ImageIndexFile(images: images), to: paths.imagesFile)
            return out
        }
    }

    /// Adds `target` as a name of the image `source`; the name leaves any image that had it.
    public func tag(_ source: String, _ target: String) throws(BoxError) {
        let name = try Reference(parsing: target)
        guard name.digest == nil else { throw BoxError(.invalidArgument, "refusing to create a tag with a digest reference") }
        try update { (images) throws(BoxError) in
            guard let src = ImageStore.match(source, in: images) else {
                throw BoxError(.notFound, "\(source): image not known")
            }
            ImageStore.assign(name.description, to: src.id, in: &images)
        }
    }

    /// Gives `name` to the image `id` and takes it from every other image.
    static func assign(_ name: String, to id: Digest, in images: inout [ImageRecord]) {
        for i in images.indices {
            if images[i].id == id {
                if !images[i].names.contains(name) { images[i].names.append(name) }
            } else {
                images[i].names.removeAll { $0 == name }
            }
        }
    }

    /// Removes a name, or the whole image when given by ID or when its last name goes.
    ///
    /// `usedBy` tells which container (if any) uses an image ID. Without `force` an image in use is refused;
    /// with it the names go but an image in use stays, untagged, as Docker does. Returns Docker's lines:
    /// `Untagged: …` and `Deleted: sha256:…`.
    public func remove(_ ref: String, force: Bool, usedBy: (Digest) -> String?) throws(BoxError) -> [String] {
        let out: [String] = try update { (images) throws(BoxError) -> [String] in
            guard let img = ImageStore.match(ref, in: images) else {
                if !ImageStore.isIDPrefix(ref) { _ = try Reference(parsing: ref) }
                throw BoxError(.notFound, "\(ref): image not known")
            }
            let byName = (try? Reference(parsing: ref)).map { img.names.contains($0.description) } ?? false
            var lines: [String] = []
            let user = usedBy(img.id)
            if byName && img.names.count > 1 {
                // only this name goes: the image keeps its others
                let name = try Reference(parsing: ref)
                ImageStore.untag(name.description, &images)
                return ["Untagged: \(name.familiar)"]
            }
            if !byName && img.names.count > 1 && !force {
                throw BoxError(.conflict, "unable to delete \(img.shortID) (must be forced) - image is referenced in multiple repositories")
            }
            if let user, !force {
                throw BoxError(.conflict, "unable to remove image \(ref) (must force) - container \(user) is using its referenced image \(img.shortID)")
            }
            for n in img.names {
                lines.append("Untagged: \((try? Reference(parsing: n))?.familiar ?? n)")
            }
            if user != nil {
                if let i = images.firstIndex(where: { $0.id == img.id }) { images[i].names = [] }
                return lines
            }
            images.removeAll { $0.id == img.id }
            lines.append("Deleted: \(img.id)")
            return lines
        }
        try collectGarbage()
        return out
    }

    static func untag(_ name: String, _ images: inout [ImageRecord]) {
        for i in images.indices { images[i].names.removeAll { $0 == name } }
    }

    /// Removes blobs and layers that no image references (under the store lock). A pull or load in progress
    /// holds a shared lock on `tmp/` for content it stored before its image is recorded; then this skips
    /// the sweep, and a later one collects what is left.
    public func collectGarbage() throws(BoxError) {
        try withLock(paths.root) { () throws(BoxError) in
            guard let quiet = FileLock.attempt(paths.tmp) else { return }
            defer { quiet.unlock() }
            let images = try list()
            var keepBlobs = Set<String>()
            var keepLayers = Set<String>()
            for img in images {
                keepBlobs.insert(img.id.hex)
                keepBlobs.insert(img.manifest.hex)
                if let m = try? manifest(of: img) { for l in m.layers { keepBlobs.insert(l.digest.hex) } }
                for l in img.layers { keepLayers.insert(l.hex) }
            }
            for name in try Files.list(paths.blobs) where !keepBlobs.contains(name) {
                unlink(paths.blob(name))
            }
            for name in try Files.list(paths.layers) where !keepLayers.contains(name) && Digest.isHex64(name) {
                try Tree.remove(paths.layer(name))
            }
        }
    }
}
