#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS
import CArchive

/// Where an archive to load comes from.
public enum ArchiveSource: Sendable {
    case path(String)
    case fd(Int32, name: String)
}

/// One image found in an archive, before it enters the store.
struct StagedImage {
    var names: [String]
    var manifestBytes: [UInt8]
    var config: ImageConfig
    var configBytes: [UInt8]
    /// The staged file of each layer blob, bottom first, with its descriptor.
    var layers: [(file: String, descriptor: Descriptor)]
}

extension ImageStore {
    /// Loads every image of a `docker save` archive or an OCI archive (any compression) into the store.
    ///
    /// The archive is staged under `tmp/`, every blob is checked against its digest and every layer against
    /// its DiffID, and only then are blobs, layers and names committed. On failure nothing changes.
    /// Returns the loaded images with the names they got.
    public func load(_ source: ArchiveSource) throws(BoxError) -> [ImageRecord] {
        try withStaging("load") { (stage) throws(BoxError) in try load(source, stage: stage) }
    }

    private func load(_ source: ArchiveSource, stage: String) throws(BoxError) -> [ImageRecord] {
        let files = try stageArchive(source, into: stage)
        let images: [StagedImage]
        if files.has("index.json") {
            images = try ociImages(files)
        } else if files.has("manifest.json") {
            images = try dockerImages(files)
        } else {
            throw BoxError(.invalidImage, "load \(source.name): neither an OCI archive (index.json) nor a docker archive (manifest.json)")
        }
        guard !images.isEmpty else { throw BoxError(.invalidImage, "load \(source.name): no images in archive") }

        // unpack the layers the store lacks, into temp dirs that are renamed only when all succeeded
        var pending: [String: String] = [:]  // diff hex -> temp dir
        var sizes: [String: Int64] = [:]
        let known = try list()
        for r in known { for (d, s) in zip(r.layers, r.layerSizes) { sizes[d.hex] = s } }
        defer { for t in pending.values { try? Tree.remove(t) } }
        for img in images {
            for (i, layer) in img.layers.enumerated() {
                let diff = img.config.rootfs.diff_ids[i]
                if pending[diff.hex] != nil || Files.exists(paths.layer(diff.hex)) { continue }
                let tmp = "\(stage)/layer-\(diff.hex)"
                try Files.mkdirAll(tmp, mode: 0o755)
                pending[diff.hex] = tmp
                sizes[diff.hex] = try unpacker.unpack(blob: layer.file, into: tmp, diffID: diff)
            }
        }

        // commit: blobs, layers, then names, under the store lock
        let now = Time.now()
        return try update { (records) throws(BoxError) -> [ImageRecord] in
            var out: [ImageRecord] = []
            for img in images {
                let manifestDigest = Digest.of(img.manifestBytes)
                let configDigest = Digest.of(img.configBytes)
                try putBlob(img.manifestBytes, manifestDigest)
                try putBlob(img.configBytes, configDigest)
                for layer in img.layers { try storeBlob(layer.file, layer.descriptor.digest) }
                let diffs = img.config.rootfs.diff_ids
                for d in diffs {
                    guard let tmp = pending[d.hex] else { continue }
                    try storeLayer(tmp, d)
                    pending[d.hex] = nil
                }
                let rec = ImageRecord(id: configDigest, manifest: manifestDigest, names: [], created: img.config.created,
                                      added: now, layers: diffs, layerSizes: diffs.map { sizes[$0.hex] ?? Tree.size(paths.layer($0.hex)) })
                out.append(ImageStore.upsert(rec, names: img.names, in: &records))
            }
            return out
        }
    }

    /// Extracts the archive's regular files into `stage` (flat names), remembering their paths and symlinks.
    private func stageArchive(_ source: ArchiveSource, into stage: String) throws(BoxError) -> StagedFiles {
        let reader: ArchiveReader
        switch source {
        case .path(let p): reader = try ArchiveReader(path: p)
        case .fd(let fd, let name): reader = try ArchiveReader(fd: fd, name: name)
        }
        var files = StagedFiles(stage: stage)
        var n = 0
        while let entry = try reader.next() {
            guard let cpath = archive_entry_pathname(entry) else { continue }
            let raw = String(cString: cpath)
            let path = try LayerPath(raw).components.joined(separator: "/")
            switch archive_entry_filetype(entry) {
            case UInt32(Glibc.S_IFREG):
                if let hl = archive_entry_hardlink(entry) {
                    files.links[path] = try LayerPath(String(cString: hl)).components.joined(separator: "/")
                    continue
                }
                n += 1
                let file = "\(stage)/f\(n)"
                let fd = try check("create", file) { open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
                do { try reader.copyData(to: fd, what: raw) } catch {
                    close(fd)
                    throw error
                }
                close(fd)
                files.files[path] = file
            case UInt32(Glibc.S_IFLNK):
                // podman's docker archives link `<id>/layer.tar -> ../<diffid>.tar`
                if let t = archive_entry_symlink(entry) {
                    let base = path.split(separator: "/").dropLast().joined(separator: "/")
                    files.links[path] = try StagedFiles.resolve(String(cString: t), from: base)
                }
            default:
                continue
            }
        }
        return files
    }
}

/// The files of a staged archive, by their path in the archive.
struct StagedFiles {
    let stage: String
    var files: [String: String] = [:]
    var links: [String: String] = [:]

    func has(_ path: String) -> Bool { file(path) != nil }

    /// A link target inside the archive: relative to `base`, `..` allowed while it stays inside the archive.
    static func resolve(_ target: String, from base: String) throws(BoxError) -> String {
        if target.hasPrefix("/") { throw BoxError(.invalidImage, "archive link to \"\(target)\": absolute path refused") }
        var parts = base.split(separator: "/").map(String.init)
        for c in target.split(separator: "/") {
            if c == "." { continue }
            if c == ".." {
                if parts.isEmpty { throw BoxError(.invalidImage, "archive link to \"\(target)\": path escapes the archive") }
                parts.removeLast()
            } else {
                parts.append(String(c))
            }
        }
        return parts.joined(separator: "/")
    }

    /// The staged file for an archive path, following the archive's own links.
    func file(_ path: String) -> String? {
        var p = (try? LayerPath(path).components.joined(separator: "/")) ?? path
        for _ in 0..<8 {
            if let f = files[p] { return f }
            guard let next = links[p] else { return nil }
            p = next
        }
        return nil
    }

    func read(_ path: String, limit: Int = 16 << 20) throws(BoxError) -> [UInt8] {
        guard let f = file(path) else { throw BoxError(.invalidImage, "archive has no \(path)") }
        let bytes = try Files.read(f)
        guard bytes.count <= limit else { throw BoxError(.invalidImage, "archive file \(path) is too large") }
        return bytes
    }

    /// A blob of an OCI layout, checked against its digest and size.
    func blob(_ d: Descriptor) throws(BoxError) -> String {
        guard let f = file("blobs/sha256/\(d.digest.hex)") else {
            throw BoxError(.invalidImage, "archive is missing blob \(d.digest)")
        }
        try verify(f, d.digest, size: d.size)
        return f
    }

    /// Checks a staged file's sha256 (and size, when known).
    func verify(_ file: String, _ digest: Digest, size: Int64?) throws(BoxError) {
        let (got, n) = try hashFile(file)
        if let size, size != n { throw BoxError(.invalidImage, "blob \(digest): size \(n) does not match \(size)") }
        guard got == digest else { throw BoxError(.invalidImage, "blob \(digest): content has digest \(got)") }
    }
}

/// The sha256 and size of a file.
func hashFile(_ path: String) throws(BoxError) -> (Digest, Int64) {
    let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
    defer { close(fd) }
    var h = SHA256Hasher()
    var total: Int64 = 0
    var buf = [UInt8](repeating: 0, count: 1 << 17)
    while true {
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw BoxError.sys("read", path, errno: errno)
        }
        if n == 0 { break }
        buf.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        total += Int64(n)
    }
    return (h.finish(), total)
}

extension ArchiveSource {
    var name: String {
        switch self {
        case .path(let p): p
        case .fd(_, let n): n
        }
    }
}
