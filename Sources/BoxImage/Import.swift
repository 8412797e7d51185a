#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS
import BoxRegistry
import CArchive

/// Where `box import` reads a rootfs tarball from.
public enum ImportSource: Sendable, Equatable {
    case path(String)
    case stdin
    case url(String)

    /// `-` is stdin, `http://` and `https://` are downloaded, anything else is a file.
    public init(_ argument: String) {
        if argument == "-" {
            self = .stdin
        } else if argument.hasPrefix("http://") || argument.hasPrefix("https://") {
            self = .url(argument)
        } else {
            self = .path(argument)
        }
    }

    /// The source as the image's history names it: the path, `-`, or the URL.
    public var displayName: String {
        switch self {
        case .path(let p): p
        case .stdin: "-"
        case .url(let u): u
        }
    }
}

/// What `box import` was asked for besides the tarball.
public struct ImportOptions: Sendable {
    /// Dockerfile instructions for the config (`--change`).
    public var changes: [String] = []
    /// The history comment (`--message`).
    public var message: String?
    /// The platform the config records.
    public var platform: Platform = .host
    /// A name for the new image.
    public var reference: String?

    public init() {}

    /// `--platform os/arch[/variant]`, or an architecture alone; nil is the host's.
    public static func platform(_ s: String?) throws(BoxError) -> Platform {
        guard let s, !s.isEmpty else { return .host }
        var parts = s.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw BoxError(.invalidArgument, "invalid platform \"\(s)\": want os/arch[/variant]")
        }
        if parts.count == 1 { parts = parts[0] == "linux" ? ["linux", Platform.host.architecture] : ["linux", parts[0]] }
        let arch = ["x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"][parts[1]] ?? parts[1]
        return Platform(architecture: arch, os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }
}

extension ImageStore {
    /// Makes a one-layer image of a rootfs tarball (`box import`).
    ///
    /// The tarball, in any compression libarchive reads, is copied into a private staging directory. Gzip and zstd
    /// are kept as the layer blob; plain tars are kept as they are; other compressions are stored decompressed.
    /// The layer is unpacked by the same `LayerUnpacker` as `load`, which refuses hostile entries and checks the
    /// DiffID, and only then are blobs, the layer and the name committed. On failure nothing changes.
    public func importRootfs(_ source: ImportSource, options: ImportOptions) throws(BoxError) -> ImageRecord {
        // everything that can be refused without reading the tarball is checked first
        var container = ContainerConfig()
        try ConfigChanges.apply(options.changes, to: &container)
        var name: Reference?
        if let r = options.reference {
            name = try Reference(parsing: r)
            if name?.digest != nil { throw BoxError(.invalidArgument, "refusing to create a tag with a digest reference") }
        }

        return try withStaging("load") { (stage) throws(BoxError) in
            try importRootfs(source, options: options, container: container, name: name, stage: stage)
        }
    }

    private func importRootfs(_ source: ImportSource, options: ImportOptions, container: ContainerConfig,
                              name: Reference?, stage: String) throws(BoxError) -> ImageRecord {
        let input = stage + "/input"
        let copied = try ImportInput.fetch(source, to: input)
        let layer = try ImportInput.layerBlob(input, copied: copied, stage: stage, name: source.displayName)
        let layerDir = stage + "/layer"
        if !Files.exists(paths.layer(layer.diffID.hex)) {
            try Files.mkdirAll(layerDir, mode: 0o755)
            try unpacker.unpack(blob: layer.file, into: layerDir, diffID: layer.diffID)
        }

        let now = Time.now()
        let history = ImportedHistory(created: now, created_by: "Imported from \(source.displayName)", comment: options.message)
        let config = ImportedConfig(created: now, comment: options.message, architecture: options.platform.architecture, os: options.platform.os,
                                    variant: options.platform.variant, config: container,
                                    rootfs: RootFS(diffIDs: [layer.diffID]), history: [history])
        let configBytes = try ImageStore.sortedJSON(config)
        let configDigest = Digest.of(configBytes)
        let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configBytes.count)),
                                layers: [layer.descriptor])
        let manifestBytes = try ImageStore.sortedJSON(manifest)
        let manifestDigest = Digest.of(manifestBytes)

        return try update { (records) throws(BoxError) -> ImageRecord in
            try putBlob(configBytes, configDigest)
            try putBlob(manifestBytes, manifestDigest)
            try storeBlob(layer.file, layer.descriptor.digest)
            if Files.exists(layerDir) { try storeLayer(layerDir, layer.diffID) }
            let rec = ImageRecord(id: configDigest, manifest: manifestDigest, names: [], created: now, added: now,
                                  layers: [layer.diffID], layerSizes: [layer.size])
            return ImageStore.upsert(rec, names: name.map { [$0.description] } ?? [], in: &records)
        }
    }
}

/// The config `import` writes: Docker's fields for an imported image.
struct ImportedConfig: Encodable {
    var created: String
    /// The `--message`, as Docker keeps it.
    var comment: String?
    var architecture: String
    var os: String
    var variant: String?
    var config: ContainerConfig
    var rootfs: RootFS
    var history: [ImportedHistory]
}

struct ImportedHistory: Encodable {
    var created: String
    var created_by: String
    var comment: String?
}

/// Reading the tarball of an import and making its layer blob.
enum ImportInput {
    /// The layer blob made of an input: its staged file, descriptor, DiffID and uncompressed size.
    struct Layer {
        var file: String
        var descriptor: Descriptor
        var diffID: Digest
        var size: Int64
    }

    /// Copies the source to `path`, hashing it on the way; returns its digest and size.
    static func fetch(_ source: ImportSource, to path: String) throws(BoxError) -> (Digest, Int64) {
        let out = try check("create", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer { close(out) }
        var hasher = SHA256Hasher()
        var total: Int64 = 0
        func put(_ chunk: UnsafeRawBufferPointer) throws(BoxError) {
            guard let base = chunk.baseAddress else { return }
            var done = 0
            while done < chunk.count {
                let n = write(out, base + done, chunk.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BoxError.sys("write", path, errno: errno)
                }
                done += n
            }
            hasher.update(chunk)
            total += Int64(chunk.count)
        }
        switch source {
        case .path(let p):
            let fd = try check("open", p) { open(p, O_RDONLY | O_CLOEXEC) }
            defer { close(fd) }
            try copy(fd, name: p, into: put)
        case .stdin:
            if isatty(0) != 0 { throw BoxError(.invalidArgument, "requested import from stdin, but stdin is a terminal") }
            try copy(0, name: "stdin", into: put)
        case .url(let url):
            let (resp, _) = try CurlTransport().send(HTTPRequest("GET", url), options: TransportOptions()) { (chunk) throws(BoxError) in
                try put(chunk)
            }
            guard resp.isSuccess else { throw BoxError(.notFound, "download \(url): server returned status \(resp.status)") }
        }
        return (hasher.finish(), total)
    }

    private static func copy(_ fd: Int32, name: String, into put: (UnsafeRawBufferPointer) throws(BoxError) -> Void) throws(BoxError) {
        let size = 1 << 17
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw BoxError.sys("read", name, errno: errno)
            }
            if n == 0 { return }
            try put(UnsafeRawBufferPointer(start: buf, count: n))
        }
    }

    /// The layer blob of a staged input: gzip and zstd as they are, a plain tar as it is, anything else decompressed.
    static func layerBlob(_ input: String, copied: (Digest, Int64), stage: String, name: String) throws(BoxError) -> Layer {
        guard copied.1 > 0 else { throw BoxError(.invalidImage, "import \(name): empty input") }
        let filter = try compression(of: input, name: name)
        try checkTar(input, name: name)
        switch filter {
        case ARCHIVE_FILTER_NONE:
            let d = Descriptor(mediaType: MediaType.ociLayer, digest: copied.0, size: copied.1)
            return Layer(file: input, descriptor: d, diffID: copied.0, size: copied.1)
        case ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD:
            let (diff, size) = try HashingSource(path: input).finish()
            let type = filter == ARCHIVE_FILTER_GZIP ? MediaType.ociLayerGzip : MediaType.ociLayerZstd
            return Layer(file: input, descriptor: Descriptor(mediaType: type, digest: copied.0, size: copied.1), diffID: diff, size: size)
        default:
            let out = stage + "/layer.tar"
            let (diff, size) = try decompress(input, to: out, name: name)
            unlink(input)
            return Layer(file: out, descriptor: Descriptor(mediaType: MediaType.ociLayer, digest: diff, size: size), diffID: diff, size: size)
        }
    }

    /// libarchive's code for the outermost compression of a file (`ARCHIVE_FILTER_NONE` for none).
    static func compression(of path: String, name: String) throws(BoxError) -> Int32 {
        let a: OpaquePointer = archive_read_new()
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_raw(a)
        var entry: OpaquePointer?
        let r = archive_read_open_filename(a, path, 1 << 16)
        if r != ARCHIVE_OK || archive_read_next_header(a, &entry) != ARCHIVE_OK {
            throw BoxError(.invalidImage, "import \(name): \(ArchiveReader.message(a))")
        }
        return archive_filter_code(a, 0)
    }

    /// Refuses, naming the user's file, an input that does not start with a tar header.
    static func checkTar(_ path: String, name: String) throws(BoxError) {
        let a: OpaquePointer = archive_read_new()
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        var entry: OpaquePointer?
        guard archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK else {
            throw BoxError(.invalidImage, "import \(name): \(ArchiveReader.message(a))")
        }
        let r = archive_read_next_header(a, &entry)
        guard r == ARCHIVE_OK || r == ARCHIVE_WARN || r == ARCHIVE_EOF else {
            throw BoxError(.invalidImage, "import \(name): not a tar archive: \(ArchiveReader.message(a))")
        }
    }

    /// Writes the decompressed stream of `input` to `out`; returns its sha256 (the DiffID) and size.
    static func decompress(_ input: String, to out: String, name: String) throws(BoxError) -> (Digest, Int64) {
        let src = try HashingSource(path: input)
        let fd = try check("create", out) { open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer { close(fd) }
        var block: UnsafeRawPointer?
        while true {
            let n = src.next(&block)
            if n < 0 { throw BoxError(.invalidImage, "import \(name): \(src.error ?? "unknown error")") }
            guard n > 0, let block else { break }
            var done = 0
            while done < n {
                let w = write(fd, block + done, n - done)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw BoxError.sys("write", out, errno: errno)
                }
                done += w
            }
        }
        return try src.finish()
    }
}
