#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS
import BoxRegistry
import Synchronization

/// What a pull reports as it goes; called from several threads, so implementations lock.
public protocol PullProgress: Sendable {
    func event(_ event: PullEvent)
}

/// One step of a pull, for progress output.
public enum PullEvent: Sendable {
    /// The manifest for the platform is known: its layers, in order, and which the store already has.
    case layers([(digest: Digest, size: Int64, present: Bool)])
    case downloading(Digest, done: Int64, total: Int64)
    case verifying(Digest)
    case extracting(Digest)
    case layerDone(Digest)
}

/// The registry and repository to pull from (a mirror or the registry itself).
public struct PullSource: Sendable {
    public var client: RegistryClient
    public var repository: String

    public init(client: RegistryClient, repository: String) {
        self.client = client
        self.repository = repository
    }
}

/// The manifest chosen for a platform, with the digest of what was asked for (an index or the manifest).
public struct ResolvedImage: Sendable {
    /// The digest of the top-level document (an index, or the manifest itself): what RepoDigests name.
    public var topDigest: Digest
    public var manifestBytes: [UInt8]
    public var manifest: Manifest
    public var configBytes: [UInt8]
    public var config: ImageConfig
}

/// The outcome of a pull.
public struct PullResult: Sendable {
    public var image: ImageRecord
    /// False when the store already had the image and only names changed.
    public var downloaded: Bool
    public var digest: Digest
}

extension ImageStore {
    /// Layers download and unpack this many at a time (Docker's default).
    public static let pullWidth = 3

    /// Reference → Descriptor → Index/Manifest (platform) → ImageConfig: fetches and checks the manifest,
    /// choosing the platform from an index, and the config; every document is checked against its digest.
    /// With `strict` (an explicit `--platform`), a single-platform image for another platform is refused.
    public static func resolve(_ ref: Reference, from source: PullSource, platform: Platform,
                               strict: Bool = false) throws(BoxError) -> ResolvedImage {
        let client = source.client, repo = source.repository
        let tagOrDigest = ref.digest?.description ?? ref.tag ?? "latest"
        var (bytes, type, digest) = try client.manifest(repo, tagOrDigest)
        if let want = ref.digest, digest != want {
            throw BoxError(.invalidImage, "manifest \(ref): content has digest \(digest)")
        }
        let top = digest
        if MediaType.isIndex(type) {
            let index = try JSON.decode(ImageIndex.self, from: bytes, what: "image index \(ref)")
            guard let chosen = Platforms.choose(index.manifests, for: platform), MediaType.isManifest(chosen.mediaType) else {
                let have = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw BoxError(.notFound, "\(ref): no image for platform \(platform) in the manifest list (has \(have))")
            }
            (bytes, type, digest) = try client.manifest(repo, chosen.digest.description)
            guard digest == chosen.digest else {
                throw BoxError(.invalidImage, "manifest \(chosen.digest): content has digest \(digest)")
            }
        }
        guard MediaType.isManifest(type) else {
            throw BoxError(.invalidImage, "\(ref): unsupported manifest media type \"\(type)\"")
        }
        let manifest = try JSON.decode(Manifest.self, from: bytes, what: "manifest \(ref)")
        guard manifest.config.mediaType == MediaType.ociConfig || manifest.config.mediaType == MediaType.dockerConfig else {
            throw BoxError(.invalidImage, "\(ref): unsupported config media type \"\(manifest.config.mediaType)\"")
        }
        for l in manifest.layers where !ImageStore.isLayerType(l.mediaType) {
            throw BoxError(.invalidImage, "\(ref): unsupported layer media type \"\(l.mediaType)\"")
        }
        let configBytes = try client.blobBytes(repo, manifest.config.digest)
        guard Int64(configBytes.count) == manifest.config.size else {
            throw BoxError(.invalidImage, "config \(manifest.config.digest): size \(configBytes.count) does not match \(manifest.config.size)")
        }
        let config = try JSON.decode(ImageConfig.self, from: configBytes, what: "image config \(manifest.config.digest)")
        if strict && (config.os != platform.os || config.architecture != platform.architecture
                      || (platform.variant != nil && config.variant != platform.variant)) {
            let have = Platform(architecture: config.architecture, os: config.os, variant: config.variant)
            throw BoxError(.notFound, "\(ref): image is for \(have), not the requested platform \(platform)")
        }
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw BoxError(.invalidImage, "\(ref): manifest has \(manifest.layers.count) layers but config has \(config.rootfs.diff_ids.count) diff ids")
        }
        return ResolvedImage(topDigest: top, manifestBytes: bytes, manifest: manifest, configBytes: configBytes, config: config)
    }

    /// The layer media types box unpacks: tar, gzip and zstd, OCI's and Docker's.
    static func isLayerType(_ type: String) -> Bool {
        [MediaType.ociLayer, MediaType.dockerLayer, MediaType.ociLayerGzip, MediaType.dockerLayerGzip,
         MediaType.ociLayerZstd].contains(type)
    }

    /// Pulls `ref` into the store: layers the store lacks download and unpack in parallel, each checked
    /// against its digest as it streams and its DiffID as it unpacks, and each enters the store as soon as it
    /// is complete. The image (names, record) appears only when every layer is in.
    public func pull(_ ref: Reference, from source: PullSource, platform: Platform, strictPlatform: Bool = false,
                     progress: (any PullProgress)?) throws(BoxError) -> PullResult {
        try withStaging("pull") { (stage) throws(BoxError) in
            try pull(ref, from: source, platform: platform, strictPlatform: strictPlatform, progress: progress, stage: stage)
        }
    }

    private func pull(_ ref: Reference, from source: PullSource, platform: Platform, strictPlatform: Bool,
                      progress: (any PullProgress)?, stage: String) throws(BoxError) -> PullResult {
        let resolved = try ImageStore.resolve(ref, from: source, platform: platform, strict: strictPlatform)
        let configDigest = resolved.manifest.config.digest
        let diffs = resolved.config.rootfs.diff_ids
        let layers = resolved.manifest.layers
        let present = zip(layers, diffs).map { l, d in Files.exists(paths.layer(d.hex)) && Files.exists(paths.blob(l.digest.hex)) }
        progress?.event(.layers(zip(layers, present).map { ($0.digest, $0.size, $1) }))
        let had = (try list()).first { $0.id == configDigest }
        let downloaded = had == nil || present.contains(false)

        let sizes = Mutex<[String: Int64]>([:])
        // a layer listed twice is fetched once
        var seen = Set<Digest>()
        let todo = layers.indices.filter { !present[$0] && seen.insert(layers[$0].digest).inserted }
        try Worker.forEach(todo.count, width: ImageStore.pullWidth) { (k) throws(BoxError) in
            let i = todo[k]
            let size = try self.fetchLayer(layers[i], diffID: diffs[i], source: source, stage: stage, progress: progress)
            if let size { sizes.withLock { $0[diffs[i].hex] = size } }
            progress?.event(.layerDone(layers[i].digest))
        }
        for i in layers.indices where present[i] { progress?.event(.layerDone(layers[i].digest)) }

        let names = ref.tag != nil ? [ref.description] : []
        let repoDigest = "\(ref.repository)@\(resolved.topDigest)"
        let now = Time.now()
        let image: ImageRecord = try update { (records) throws(BoxError) -> ImageRecord in
            for d in diffs where !Files.exists(paths.layer(d.hex)) {
                throw BoxError(.io, "pull \(ref): layer \(d) vanished from the store")
            }
            try putBlob(resolved.manifestBytes, Digest.of(resolved.manifestBytes))
            try putBlob(resolved.configBytes, configDigest)
            var known: [String: Int64] = [:]
            for r in records { for (d, s) in zip(r.layers, r.layerSizes) { known[d.hex] = s } }
            let pulled = sizes.withLock { $0 }
            let layerSizes = diffs.map { pulled[$0.hex] ?? known[$0.hex] ?? Tree.size(paths.layer($0.hex)) }
            let rec = ImageRecord(id: configDigest, manifest: Digest.of(resolved.manifestBytes), names: [],
                                  created: resolved.config.created, added: now, layers: diffs, layerSizes: layerSizes)
            return ImageStore.upsert(rec, names: names, repoDigest: repoDigest, in: &records)
        }
        return PullResult(image: image, downloaded: downloaded, digest: resolved.topDigest)
    }

    /// Downloads (when the blob is missing) and unpacks (when the layer is missing) one layer, streaming the
    /// download straight into the unpacker through a pipe, then stores both. Returns the unpacked size.
    func fetchLayer(_ layer: Descriptor, diffID: Digest, source: PullSource, stage: String,
                    progress: (any PullProgress)?) throws(BoxError) -> Int64? {
        let blobPath = paths.blob(layer.digest.hex)
        let haveBlob = Files.exists(blobPath)
        let haveLayer = Files.exists(paths.layer(diffID.hex))
        let dir = "\(stage)/layer-\(diffID.hex)"
        var size: Int64?
        if haveBlob {
            // the compressed blob is here (from a load or an interrupted pull): unpack it
            progress?.event(.extracting(layer.digest))
            try Files.mkdirAll(dir, mode: 0o755)
            size = try unpacker.unpack(blob: blobPath, into: dir, diffID: diffID)
        } else {
            let file = "\(stage)/blob-\(layer.digest.hex)"
            size = try download(layer, to: file, unpackInto: haveLayer ? nil : dir, diffID: diffID,
                                source: source, progress: progress)
            try storeBlob(file, layer.digest)
        }
        if !haveLayer { try storeLayer(dir, diffID) }
        return haveLayer ? nil : size
    }

    /// Streams a blob to `file`, checking its size and digest, and (when `dir` is given) through a pipe into
    /// the unpacker at the same time. A failure on either side stops the other.
    func download(_ layer: Descriptor, to file: String, unpackInto dir: String?, diffID: Digest,
                  source: PullSource, progress: (any PullProgress)?) throws(BoxError) -> Int64? {
        let out = try check("create", file) { open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer { close(out) }
        var fds: [Int32] = [-1, -1]
        if dir != nil {
            try check("pipe") { pipe(&fds) }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        let downloader = BlobDownload(layer: layer, source: source, out: out, pipe: fds[1], file: file, progress: progress)
        guard let dir else {
            downloader.run()
            if let e = downloader.error { throw e }
            return nil
        }
        let thread = try Worker { downloader.run() }
        var unpackError: BoxError?
        var size: Int64 = 0
        do throws(BoxError) {
            try Files.mkdirAll(dir, mode: 0o755)
            size = try unpacker.unpack(fd: fds[0], name: "layer \(layer.digest)", into: dir, diffID: diffID)
        } catch {
            unpackError = error
        }
        // the downloader sees EPIPE if the unpacker stopped early
        close(fds[0])
        thread.join()
        // a bad download explains a bad unpack: report it first, unless it only saw the unpacker stop
        if let e = downloader.error, !downloader.unpackerStopped { throw e }
        if let unpackError { throw unpackError }
        if let e = downloader.error { throw e }
        progress?.event(.extracting(layer.digest))
        return size
    }
}

/// One blob's download: bytes to a file and (optionally) a pipe, hashed as they pass.
final class BlobDownload: @unchecked Sendable {
    let layer: Descriptor
    let source: PullSource
    let out: Int32
    let pipe: Int32
    let file: String
    let progress: (any PullProgress)?
    var error: BoxError?
    /// The pipe to the unpacker broke: the unpacker's own error says why.
    var unpackerStopped = false

    init(layer: Descriptor, source: PullSource, out: Int32, pipe: Int32, file: String, progress: (any PullProgress)?) {
        self.layer = layer
        self.source = source
        self.out = out
        self.pipe = pipe
        self.file = file
        self.progress = progress
    }

    func run() {
        defer { if pipe >= 0 { close(pipe) } }
        do throws(BoxError) {
            var hasher = SHA256Hasher()
            var total: Int64 = 0
            var lastReport: Int64 = 0
            let digest = layer.digest, size = layer.size
            progress?.event(.downloading(digest, done: 0, total: size))
            try source.client.blob(source.repository, digest) { (chunk) throws(BoxError) in
                total += Int64(chunk.count)
                guard total <= size else {
                    throw BoxError(.invalidImage, "blob \(digest): more than the \(size) bytes its descriptor declares")
                }
                hasher.update(chunk)
                try writeAll(out, chunk, what: file)
                if pipe >= 0 {
                    do throws(BoxError) { try writeAll(pipe, chunk, what: "layer \(digest)") } catch {
                        unpackerStopped = error.errno == EPIPE
                        throw error
                    }
                }
                if total - lastReport >= 256 << 10 || total == size {
                    lastReport = total
                    progress?.event(.downloading(digest, done: total, total: size))
                }
            }
            guard total == size else {
                throw BoxError(.invalidImage, "blob \(digest): got \(total) bytes, its descriptor declares \(size)")
            }
            progress?.event(.verifying(digest))
            let got = hasher.finish()
            guard got == digest else { throw BoxError(.invalidImage, "blob \(digest): content has digest \(got)") }
        } catch {
            self.error = error
        }
    }
}

/// Writes all of `bytes` to `fd`.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, what: String) throws(BoxError) {
    var off = 0
    while off < bytes.count {
        let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
        if n < 0 {
            if errno == EINTR { continue }
            if errno == EPIPE { throw BoxError(.io, "write \(what): the unpacker stopped", errno: EPIPE) }
            throw BoxError.sys("write", what, errno: errno)
        }
        off += n
    }
}
