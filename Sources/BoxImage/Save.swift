#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import FoundationEssentials

/// The archive formats `save` writes; `load` reads both.
public enum ArchiveFormat: String, Sendable, CaseIterable {
    /// `docker save`'s classic layout: `manifest.json`, `repositories`, the config as `<id-hex>.json`, each layer
    /// uncompressed as `<chain-id-hex>/layer.tar` beside `VERSION` and a legacy `json`.
    case dockerArchive = "docker-archive"
    /// An OCI image layout: `oci-layout`, `index.json` and `blobs/sha256/…`, the blobs exactly as stored.
    case ociArchive = "oci-archive"
}

/// One image to save and the names it is saved under (normalized references; none for an image given by ID).
public struct SaveItem: Sendable, Equatable {
    public var image: ImageRecord
    public var names: [String]
}

extension ImageStore {
    /// What `save` was asked for, resolved as Docker resolves it: a name with a tag saves that tag, a repository
    /// without a tag saves every tag it has, an ID (or `name@digest`) saves the image with no name. An image asked
    /// for twice is saved once, with every name it was asked by.
    public func saveItems(_ refs: [String]) throws(BoxError) -> [SaveItem] {
        let images = try list()
        var items: [SaveItem] = []
        func add(_ img: ImageRecord, _ name: String?) {
            if let i = items.firstIndex(where: { $0.image.id == img.id }) {
                if let name, !items[i].names.contains(name) { items[i].names.append(name) }
            } else {
                items.append(SaveItem(image: img, names: name.map { [$0] } ?? []))
            }
        }
        for raw in refs {
            if ImageStore.isRepositoryOnly(raw), let ref = try? Reference(parsing: raw) {
                var found = false
                for img in images {
                    for n in img.names where (try? Reference(parsing: n))?.repository == ref.repository {
                        add(img, n)
                        found = true
                    }
                }
                if found { continue }
            }
            var found = ImageStore.match(raw, in: images)
            if found == nil { found = try resolve(raw) }
            guard let img = found else { continue }
            let name = (try? Reference(parsing: raw))?.description
            add(img, name.flatMap { img.names.contains($0) ? $0 : nil })
        }
        return items
    }

    /// Whether a reference names a repository without a tag or digest (`busybox`, `localhost:5000/app`).
    static func isRepositoryOnly(_ s: String) -> Bool {
        !s.contains("@") && !(s.split(separator: "/").last ?? "").contains(":")
    }

    /// Writes the images to `writer` as one archive and finishes it. Images that share layers store them once.
    ///
    /// Blobs are read under a shared lock on `tmp/`, as loads hold it, so garbage collection leaves them alone.
    public func save(_ items: [SaveItem], format: ArchiveFormat, to writer: ArchiveWriter) throws(BoxError) {
        let guardLock = try FileLock(paths.tmp, shared: true)
        defer { guardLock.unlock() }
        var images: [SavedImage] = []
        for item in items { images.append(try SavedImage(item, store: self)) }
        switch format {
        case .dockerArchive: try writeDockerArchive(images, to: writer)
        case .ociArchive: try writeOCIArchive(images, to: writer)
        }
        try writer.finish()
    }

    // MARK: docker-archive

    private func writeDockerArchive(_ images: [SavedImage], to w: ArchiveWriter) throws(BoxError) {
        var written = Set<String>()
        var entries: [DockerArchiveEntry] = []
        var repositories: [String: [String: String]] = [:]
        for img in images {
            var parent: Digest?
            var layerPaths: [String] = []
            for (i, diff) in img.diffIDs.enumerated() {
                // a layer directory is named by its chain ID: one per layer stack, shared by images with that base
                let chain = parent.map { Digest.of(Array("\($0) \(diff)".utf8)) } ?? diff
                defer { parent = chain }
                layerPaths.append("\(chain.hex)/layer.tar")
                guard written.insert(chain.hex).inserted else { continue }
                try w.add(.directory(chain.hex))
                try w.add(.file("\(chain.hex)/VERSION", size: 0), bytes: Array("1.0".utf8))
                let legacy = LegacyLayerJSON(id: chain.hex, parent: parent?.hex, created: img.config.created ?? "1970-01-01T00:00:00Z",
                                             container_config: Empty(), os: img.config.os)
                try w.add(.file("\(chain.hex)/json", size: 0), bytes: try ImageStore.sortedJSON(legacy))
                try writeLayerTar(img.manifest.layers[i], diffID: diff, path: "\(chain.hex)/layer.tar", to: w)
            }
            let configName = "\(img.item.image.id.hex).json"
            if written.insert(configName).inserted {
                try w.add(.file(configName, size: 0), bytes: img.configBytes)
            }
            var tags: [String] = []
            for n in img.item.names {
                let r = try Reference(parsing: n)
                tags.append(r.familiar)
                if let tag = r.tag, let top = parent { repositories[r.familiarRepository, default: [:]][tag] = top.hex }
            }
            entries.append(DockerArchiveEntry(config: configName, repoTags: tags.isEmpty ? nil : tags, layers: layerPaths))
        }
        try w.add(.file("manifest.json", size: 0), bytes: try ImageStore.sortedJSON(entries))
        if !repositories.isEmpty {
            try w.add(.file("repositories", size: 0), bytes: try ImageStore.sortedJSON(repositories))
        }
    }

    /// Writes a layer as the uncompressed tar whose sha256 is its DiffID. A compressed blob is read twice:
    /// once for the size the tar header needs (checking the DiffID on the way), once to copy it.
    private func writeLayerTar(_ desc: Descriptor, diffID: Digest, path: String, to w: ArchiveWriter) throws(BoxError) {
        let blob = paths.blob(desc.digest.hex)
        if desc.digest == diffID {
            let fd = try check("open", blob) { open(blob, O_RDONLY | O_CLOEXEC) }
            defer { close(fd) }
            var st = stat()
            try check("stat", blob) { fstat(fd, &st) }
            let n = try w.add(.file(path, size: Int64(st.st_size)), copying: fd, what: blob)
            guard n == Int64(st.st_size) else { throw BoxError(.io, "read layer \(desc.digest): file shrank while it was saved") }
            return
        }
        let (measured, size) = try HashingSource(path: blob).finish()
        guard measured == diffID else {
            throw BoxError(.invalidImage, "layer \(desc.digest) in the store: content digest \(measured) does not match diff id \(diffID)")
        }
        try w.add(.file(path, size: size))
        let src = try HashingSource(path: blob)
        var block: UnsafeRawPointer?
        while true {
            let n = src.next(&block)
            if n < 0 { throw BoxError(.invalidImage, "read layer \(desc.digest): \(src.error ?? "unknown error")") }
            if n == 0 { break }
            try w.write(UnsafeRawBufferPointer(start: block, count: n))
        }
        let (copied, total) = try src.finish()
        guard copied == diffID && total == size else {
            throw BoxError(.invalidImage, "read layer \(desc.digest): content changed while it was saved")
        }
    }

    // MARK: oci-archive

    private func writeOCIArchive(_ images: [SavedImage], to w: ArchiveWriter) throws(BoxError) {
        try w.add(.file("oci-layout", size: 0), bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try w.add(.directory("blobs"))
        try w.add(.directory("blobs/sha256"))
        var written = Set<String>()
        var descriptors: [Descriptor] = []
        for img in images {
            for layer in img.manifest.layers where written.insert(layer.digest.hex).inserted {
                let blob = paths.blob(layer.digest.hex)
                let fd = try check("open", blob) { open(blob, O_RDONLY | O_CLOEXEC) }
                defer { close(fd) }
                let n = try w.add(.file("blobs/sha256/\(layer.digest.hex)", size: layer.size), copying: fd, what: blob)
                guard n == layer.size else { throw BoxError(.invalidImage, "blob \(layer.digest) in the store is shorter than its \(layer.size) bytes") }
            }
            let id = img.item.image
            if written.insert(id.id.hex).inserted {
                try w.add(.file("blobs/sha256/\(id.id.hex)", size: 0), bytes: img.configBytes)
            }
            if written.insert(id.manifest.hex).inserted {
                try w.add(.file("blobs/sha256/\(id.manifest.hex)", size: 0), bytes: img.manifestBytes)
            }
            let base = Descriptor(mediaType: img.manifest.mediaType ?? MediaType.ociManifest, digest: id.manifest,
                                  size: Int64(img.manifestBytes.count))
            if img.item.names.isEmpty { descriptors.append(base) }
            for n in img.item.names {
                // Docker's annotations: the full name for containerd (and podman), the tag alone as ref.name
                var d = base
                let r = try Reference(parsing: n)
                d.annotations = ["io.containerd.image.name": r.description]
                if let tag = r.tag { d.annotations?["org.opencontainers.image.ref.name"] = tag }
                descriptors.append(d)
            }
        }
        try w.add(.file("index.json", size: 0), bytes: try ImageStore.sortedJSON(ImageIndex(manifests: descriptors)))
    }

    /// JSON with sorted keys, so the same images give the same archive.
    static func sortedJSON<T: Encodable>(_ value: T) throws(BoxError) -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try enc.encode(value))
        } catch {
            throw BoxError(.invalidArgument, "encode json: \(error)")
        }
    }
}

/// An image read from the store for saving: its manifest and config bytes, checked against their digests.
struct SavedImage {
    let item: SaveItem
    let manifestBytes: [UInt8]
    let manifest: Manifest
    let configBytes: [UInt8]
    let config: ImageConfig
    var diffIDs: [Digest] { config.rootfs.diff_ids }

    init(_ item: SaveItem, store: ImageStore) throws(BoxError) {
        self.item = item
        let img = item.image
        manifestBytes = try Files.read(store.paths.blob(img.manifest.hex))
        configBytes = try Files.read(store.paths.blob(img.id.hex))
        guard Digest.of(manifestBytes) == img.manifest, Digest.of(configBytes) == img.id else {
            throw BoxError(.invalidImage, "image \(img.shortID) in the store: manifest or config does not match its digest")
        }
        manifest = try JSON.decode(Manifest.self, from: manifestBytes, what: "manifest \(img.manifest)")
        config = try JSON.decode(ImageConfig.self, from: configBytes, what: "image config \(img.id)")
        guard manifest.layers.count == config.rootfs.diff_ids.count else {
            throw BoxError(.invalidImage, "image \(img.shortID): \(manifest.layers.count) layers but \(config.rootfs.diff_ids.count) diff ids")
        }
    }
}

/// The legacy `<layer>/json` of a `docker save` archive; loaders that read `manifest.json` ignore it.
struct LegacyLayerJSON: Encodable {
    var id: String
    var parent: String?
    var created: String
    var container_config: Empty
    var os: String
}
