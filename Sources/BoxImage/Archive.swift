#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import CArchive

/// A libarchive reader of tar streams, compressed or not; owns its handle.
final class ArchiveReader {
    let handle: OpaquePointer
    let name: String
    /// The decompressing stream behind this reader, when it hashes what it reads.
    private var source: HashingSource?

    /// Opens a tar (any compression libarchive knows) from a file path.
    init(path: String) throws(BoxError) {
        name = path
        handle = archive_read_new()
        archive_read_support_filter_all(handle)
        archive_read_support_format_tar(handle)
        if archive_read_open_filename(handle, path, 1 << 16) != ARCHIVE_OK {
            // deinit frees the handle: a throwing init of a fully initialized class still runs it
            throw BoxError(.invalidImage, "open archive \(path): \(ArchiveReader.message(handle))")
        }
    }

    /// Opens a tar (any compression) from a file descriptor, which stays the caller's.
    init(fd: Int32, name: String) throws(BoxError) {
        self.name = name
        handle = archive_read_new()
        archive_read_support_filter_all(handle)
        archive_read_support_format_tar(handle)
        if archive_read_open_fd(handle, fd, 1 << 16) != ARCHIVE_OK {
            throw BoxError(.invalidImage, "open archive \(name): \(ArchiveReader.message(handle))")
        }
    }

    /// Opens a layer blob whose uncompressed stream is hashed as the tar is read: after the last entry,
    /// `finishDiffID()` gives the DiffID.
    convenience init(layer path: String) throws(BoxError) {
        try self.init(source: try HashingSource(path: path), name: path)
    }

    /// Opens a layer stream read from `fd` (a pipe fed by a download), hashed like `init(layer:)`.
    convenience init(layerFD fd: Int32, name: String) throws(BoxError) {
        try self.init(source: try HashingSource(fd: fd, name: name), name: name)
    }

    private init(source src: HashingSource, name path: String) throws(BoxError) {
        name = path
        source = src
        handle = archive_read_new()
        archive_read_support_format_tar(handle)
        let ctx = Unmanaged.passUnretained(src).toOpaque()
        let r = archive_read_open(handle, ctx, nil, { _, ctx, out in
            guard let ctx, let out else { return -1 }
            return Unmanaged<HashingSource>.fromOpaque(ctx).takeUnretainedValue().next(out)
        }, nil)
        if r != ARCHIVE_OK {
            throw BoxError(.invalidImage, "open layer \(path): \(src.error ?? ArchiveReader.message(handle))")
        }
    }

    deinit { archive_read_free(handle) }

    /// The next entry's header, or nil at the end.
    func next() throws(BoxError) -> OpaquePointer? {
        var entry: OpaquePointer?
        let r = archive_read_next_header(handle, &entry)
        if r == ARCHIVE_EOF { return nil }
        if r == ARCHIVE_OK || r == ARCHIVE_WARN { return entry }
        throw BoxError(.invalidImage, "read archive \(name): \(source?.error ?? ArchiveReader.message(handle))")
    }

    /// Copies the current entry's data to `fd`, honouring sparse offsets.
    func copyData(to fd: Int32, what: String) throws(BoxError) {
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let r = archive_read_data_block(handle, &buf, &size, &offset)
            if r == ARCHIVE_EOF { return }
            if r != ARCHIVE_OK && r != ARCHIVE_WARN {
                throw BoxError(.invalidImage, "read \(what) from \(name): \(source?.error ?? ArchiveReader.message(handle))")
            }
            guard let b = buf, size > 0 else { continue }
            var done = 0
            while done < size {
                let n = pwrite(fd, b + done, size - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BoxError.sys("write", what, errno: errno)
                }
                done += n
            }
        }
    }

    /// Reads the current entry's data into memory (for small metadata files).
    func readData(limit: Int) throws(BoxError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = archive_read_data(handle, &chunk, chunk.count)
            if n == 0 { return out }
            if n < 0 { throw BoxError(.invalidImage, "read \(name): \(ArchiveReader.message(handle))") }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw BoxError(.invalidImage, "read \(name): entry larger than \(limit) bytes") }
        }
    }

    /// After the tar's end: reads what is left of the stream (padding) and returns the DiffID and size.
    func finishDiffID() throws(BoxError) -> (Digest, Int64) {
        guard let source else { throw BoxError(.invalidArgument, "archive \(name) is not hashed") }
        return try source.finish()
    }

    static func message(_ a: OpaquePointer) -> String {
        guard let s = archive_error_string(a) else { return "unknown error" }
        let m = String(cString: s)
        guard let f = m.first else { return m }
        return f.lowercased() + m.dropFirst()
    }
}

/// The decompressed bytes of a layer blob, hashed as they pass: libarchive's raw format with every filter.
final class HashingSource {
    private let raw: OpaquePointer
    private var hasher = SHA256Hasher()
    private static let bufferSize = 1 << 16
    /// libarchive keeps a pointer to the block until the next callback, so the buffer is not an Array.
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: HashingSource.bufferSize, alignment: 16)
    private(set) var total: Int64 = 0
    private(set) var error: String?

    init(path: String) throws(BoxError) {
        raw = archive_read_new()
        archive_read_support_filter_all(raw)
        archive_read_support_format_raw(raw)
        try open(path) { archive_read_open_filename(raw, path, 1 << 16) }
    }

    init(fd: Int32, name: String) throws(BoxError) {
        raw = archive_read_new()
        archive_read_support_filter_all(raw)
        archive_read_support_format_raw(raw)
        try open(name) { archive_read_open_fd(raw, fd, 1 << 16) }
    }

    private func open(_ name: String, _ opener: () -> Int32) throws(BoxError) {
        var entry: OpaquePointer?
        if opener() != ARCHIVE_OK || archive_read_next_header(raw, &entry) != ARCHIVE_OK {
            throw BoxError(.invalidImage, "open layer \(name): \(ArchiveReader.message(raw))")
        }
    }

    deinit {
        archive_read_free(raw)
        buffer.deallocate()
    }

    /// libarchive's read callback: the next decompressed block.
    func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> la_ssize_t {
        let n = archive_read_data(raw, buffer, HashingSource.bufferSize)
        if n < 0 {
            error = ArchiveReader.message(raw)
            return -1
        }
        hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
        out.pointee = UnsafeRawPointer(buffer)
        total += Int64(n)
        return n
    }

    /// Drains the rest of the stream into the hash.
    func finish() throws(BoxError) -> (Digest, Int64) {
        var sink: UnsafeRawPointer?
        while true {
            let n = next(&sink)
            if n < 0 { throw BoxError(.invalidImage, "read layer: \(error ?? "unknown error")") }
            if n == 0 { break }
        }
        return (hasher.finish(), total)
    }
}
