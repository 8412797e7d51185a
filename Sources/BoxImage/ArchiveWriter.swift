#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CArchive

/// One entry of a tar being written. Paths and link targets are bytes, as a filesystem gives them.
public struct TarEntry: Sendable {
    public enum Kind: Sendable, Equatable {
        case file, directory, symlink, hardlink, charDevice, blockDevice, fifo
    }

    public var path: [UInt8]
    public var kind: Kind
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    public var mode: UInt32
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    /// The data size of a regular file; 0 for everything else.
    public var size: Int64 = 0
    public var mtime: Int = 0
    public var mtimeNanos: Int = 0
    /// The target of a symlink, or the earlier path a hard link names.
    public var link: [UInt8]?
    /// The device number of a device node.
    public var rdev: UInt64 = 0
    /// Extended attributes: name and value.
    public var xattrs: [(String, [UInt8])] = []

    public init(path: [UInt8], kind: Kind, mode: UInt32) {
        self.path = path
        self.kind = kind
        self.mode = mode
    }

    /// A regular file of `size` bytes, owned by root, mode 0644 unless given.
    public static func file(_ path: String, size: Int64, mode: UInt32 = 0o644) -> TarEntry {
        var e = TarEntry(path: Array(path.utf8), kind: .file, mode: mode)
        e.size = size
        return e
    }

    /// A directory owned by root, mode 0755.
    public static func directory(_ path: String) -> TarEntry {
        TarEntry(path: Array(path.utf8), kind: .directory, mode: 0o755)
    }
}

/// A libarchive writer of a PAX tar, plain or gzip-compressed, to a file descriptor (which stays the caller's);
/// owns its handle.
///
/// `add` writes an entry's header; its data follows through `write`. A file whose data comes short is padded
/// with zeros by libarchive, and data past the declared size is not taken: callers that must be exact compare
/// what `write` returns. Until `finish()` succeeds the archive has no end marker, so a failed write never
/// leaves something that looks like a complete tar.
public final class ArchiveWriter {
    private let handle: OpaquePointer
    private let entry: OpaquePointer
    public let name: String
    private var closed = false

    /// Writes to `fd`; `gzip` compresses the stream (as a layer blob is kept).
    public init(fd: Int32, name: String, gzip: Bool = false) throws(BoxError) {
        self.name = name
        handle = archive_write_new()
        entry = archive_entry_new()
        archive_write_set_format_pax_restricted(handle)
        if gzip { archive_write_add_filter_gzip(handle) } else { archive_write_add_filter_none(handle) }
        // no padding of the last block to 10 KiB: the tar ends after its two zero blocks
        archive_write_set_bytes_in_last_block(handle, 1)
        if archive_write_open_fd(handle, fd) != ARCHIVE_OK {
            throw BoxError(.io, "open \(name) for writing: \(ArchiveReader.message(handle))")
        }
    }

    deinit {
        // a writer dropped before finish() was abandoned: no trailer, so the output is not a valid-looking tar
        if !closed { archive_write_fail(handle) }
        archive_entry_free(entry)
        archive_write_free(handle)
    }

    /// Writes the header of an entry; a regular file's data follows through `write`.
    public func add(_ e: TarEntry) throws(BoxError) {
        archive_entry_clear(entry)
        e.path.withCString { archive_entry_set_pathname(entry, $0) }
        let type: mode_t
        switch e.kind {
        case .file, .hardlink: type = S_IFREG
        case .directory: type = S_IFDIR
        case .symlink: type = S_IFLNK
        case .charDevice: type = S_IFCHR
        case .blockDevice: type = S_IFBLK
        case .fifo: type = S_IFIFO
        }
        archive_entry_set_filetype(entry, UInt32(type))
        archive_entry_set_perm(entry, mode_t(e.mode & 0o7777))
        archive_entry_set_uid(entry, la_int64_t(e.uid))
        archive_entry_set_gid(entry, la_int64_t(e.gid))
        archive_entry_set_mtime(entry, time_t(e.mtime), e.mtimeNanos)
        archive_entry_set_size(entry, e.kind == .file ? e.size : 0)
        if let link = e.link {
            if e.kind == .hardlink { link.withCString { archive_entry_set_hardlink(entry, $0) } }
            if e.kind == .symlink { link.withCString { archive_entry_set_symlink(entry, $0) } }
        }
        if e.kind == .charDevice || e.kind == .blockDevice { archive_entry_set_rdev(entry, dev_t(e.rdev)) }
        for (key, value) in e.xattrs {
            value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, key, $0.baseAddress, $0.count) }
        }
        let r = archive_write_header(handle, entry)
        // a warning is a name that could not be stored as UTF-8: it is kept as raw bytes
        if r != ARCHIVE_OK && r != ARCHIVE_WARN {
            throw BoxError(.io, "write \(String(decoding: e.path, as: UTF8.self)) to \(name): \(reason())")
        }
    }

    /// Writes data of the current entry; returns how many bytes it took (fewer once the declared size is reached).
    @discardableResult
    public func write(_ chunk: UnsafeRawBufferPointer) throws(BoxError) -> Int {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return 0 }
        var done = 0
        while done < chunk.count {
            let n = archive_write_data(handle, base + done, chunk.count - done)
            if n < 0 { throw BoxError(.io, "write \(name): \(reason())") }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Adds a small file whose content is in memory.
    public func add(_ e: TarEntry, bytes: [UInt8]) throws(BoxError) {
        var entry = e
        entry.size = Int64(bytes.count)
        try add(entry)
        var failure: BoxError?
        bytes.withUnsafeBytes { p in
            do throws(BoxError) { try write(p) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Adds a file whose data is read from `fd` until the entry's size or EOF; returns the bytes copied.
    @discardableResult
    public func add(_ e: TarEntry, copying fd: Int32, what: String) throws(BoxError) -> Int64 {
        try add(e)
        var total: Int64 = 0
        let size = 1 << 17
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while total < e.size {
            let n = read(fd, buf, min(size, Int(e.size - total)))
            if n < 0 {
                if errno == EINTR { continue }
                throw BoxError.sys("read", what, errno: errno)
            }
            if n == 0 { break }
            total += Int64(try write(UnsafeRawBufferPointer(start: buf, count: n)))
        }
        return total
    }

    /// libarchive's message, or the system error behind its bare "write error" (a full disk: "no space left on device").
    private func reason() -> String {
        let m = ArchiveReader.message(handle)
        let e = archive_errno(handle)
        guard e > 0 else { return m }
        return m == "write error" || m.isEmpty ? errnoText(e) : m
    }

    /// Ends the archive (the two zero blocks) and flushes it. Only a finished archive is complete.
    public func finish() throws(BoxError) {
        guard !closed else { return }
        closed = true
        if archive_write_close(handle) != ARCHIVE_OK {
            throw BoxError(.io, "write \(name): \(reason())")
        }
    }
}

extension Array where Element == UInt8 {
    /// Calls `body` with these bytes as a NUL-terminated C string.
    func withCString<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
        (self + [0]).withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}

/// Where an archive goes: stdout, or a file that appears, complete, only when `commit()` is called.
///
/// A new or regular file is written as an unnamed file in its directory (`O_TMPFILE`) and linked into place at
/// the end, so a failure, or a kill, leaves nothing behind; where `O_TMPFILE` is not supported a hidden temp file
/// beside it is used and removed on failure. Anything else that exists (a symlink, a device, a FIFO) is written
/// in place.
public final class ArchiveOutput {
    /// Where to write.
    public let fd: Int32
    /// The name errors use: the path, or `stdout`.
    public let name: String
    /// The file that `commit()` puts in place; nil when writing in place or to stdout.
    private var target: String?
    private var tempName: String?
    private var unnamed = false
    private var committed = false

    /// `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`), a macro Swift does not import; `__O_TMPFILE` is the same on every architecture.
    private static let oTmpfile: Int32 = 0o20000000 | O_DIRECTORY
    /// `AT_EMPTY_PATH`, which Glibc's module leaves out.
    private static let atEmptyPath: Int32 = 0x1000

    /// Opens the destination: stdout when `path` is nil (refused when it is a terminal). Docker's checks come
    /// first and their errors start with `failure` ("failed to save image").
    public init(path: String?, failure: String) throws(BoxError) {
        guard let path else {
            if isatty(1) != 0 {
                throw BoxError(.invalidArgument, "cowardly refusing to save to a terminal. Use the -o flag or redirect")
            }
            fd = 1
            name = "stdout"
            target = nil
            return
        }
        name = path
        let real = ArchiveOutput.followLinks(path)
        target = real
        let dir = Files.dirname(real)
        guard Files.isDirectory(dir) else {
            if Files.exists(dir) { throw BoxError.sys("open", path, errno: ENOTDIR) }
            throw BoxError(.notFound, "\(failure): invalid output path: directory \"\(dir)\" does not exist")
        }
        var st = stat()
        if lstat(real, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw BoxError(.invalidArgument, "open \(path): is a directory") }
            fd = try check("open", path) { open(real, O_WRONLY | O_TRUNC | O_CLOEXEC) }
            target = nil
            return
        }
        let anon = open(dir, ArchiveOutput.oTmpfile | O_WRONLY | O_CLOEXEC, 0o666)
        if anon >= 0 {
            fd = anon
            unnamed = true
            return
        }
        guard errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL else { throw BoxError.sys("create", path, errno: errno) }
        let base = real.split(separator: "/").last.map(String.init) ?? real
        let temp = "\(dir)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = try check("create", path) { open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) }
        tempName = temp
    }

    deinit {
        if fd != 1 { close(fd) }
        if !committed, let tempName { unlink(tempName) }
    }

    /// Puts a complete file in place: fsync, then link or rename over the old one.
    public func commit() throws(BoxError) {
        guard let target, !committed else { return }
        try check("fsync", target) { fsync(fd) }
        if unnamed {
            // a new name links straight in; an existing file is replaced by a link made beside it and renamed
            if link(to: target) { committed = true; return }
            guard errno == EEXIST else { throw BoxError.sys("create", target, errno: errno) }
            let temp = "\(Files.dirname(target))/.\(target.split(separator: "/").last ?? "out").tmp-\(getpid())"
            unlink(temp)
            guard link(to: temp) else { throw BoxError.sys("create", target, errno: errno) }
            tempName = temp
        }
        guard let tempName else { return }
        try check("rename", target) { rename(tempName, target) }
        committed = true
    }

    /// Where a chain of symlinks ends (at most 16 of them), so the file replaced is the one the link names.
    /// `/proc`'s links (`/dev/stdout` leads there) are kept: opening them reaches what they name.
    static func followLinks(_ path: String) -> String {
        var p = path
        for _ in 0..<16 where !p.hasPrefix("/proc/") {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(p, &buf, buf.count - 1)
            guard n > 0 else { return p }
            let link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            p = link.hasPrefix("/") ? link : Files.dirname(p) + "/" + link
        }
        return p
    }

    /// Gives the unnamed file a name: by its fd (needs CAP_DAC_READ_SEARCH), else through /proc.
    private func link(to path: String) -> Bool {
        if linkat(fd, "", AT_FDCWD, path, ArchiveOutput.atEmptyPath) == 0 { return true }
        if errno == EEXIST { return false }
        return linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0
    }
}
