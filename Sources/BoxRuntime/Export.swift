#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import CBox

/// A container's filesystem as a tar (`box export`): its writable layer over its image's layers, merged in user
/// space the way overlayfs merges them, so nothing is mounted and nothing is left behind if box is killed.
///
/// The topmost layer that has a name decides what it is. A whiteout (a 0:0 character device) hides the name and
/// never appears in the tar; a directory gathers the same directory of the layers below it, down to one that is
/// opaque (`trusted.overlay.opaque` or `user.overlay.opaque` = `y`) or a layer where the name is not a directory.
/// Every file is opened relative to its directory's fd without following symlinks, so a running container that
/// swaps a directory for a symlink cannot make box read outside the layers. box mounts overlays without
/// `redirect_dir` and `metacopy`, so no layer holds redirects or metadata-only copies.
public struct FilesystemExport: Sendable {
    /// The layer directories, top first.
    public let layers: [String]

    public init(layers: [String]) {
        self.layers = layers
    }

    /// A container's layers: its `upper/`, then its image's layers.
    public init(container r: ContainerRecord, store: ContainerStore) {
        layers = [store.dir(r.id) + "/upper"] + r.lowerDirs
    }

    /// Writes the merged tree into `writer` (the root directory itself is not an entry, as in Docker's export)
    /// and finishes the archive.
    public func write(to writer: ArchiveWriter) throws(BoxError) {
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        for layer in layers {
            fds.append(try check("open layer", layer) { open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
        }
        var walker = MergeWalker(writer: writer)
        try walker.directory(fds, path: [])
        try writer.finish()
    }
}

/// Where a merge walk puts the entries it finds: a tar (`box export`) or a directory (a volume's copy-up).
protocol MergeSink {
    /// An entry without data: a directory, link, device or FIFO.
    func add(_ e: TarEntry) throws(BoxError)
    /// A regular file whose data is read from `fd`; returns the bytes written.
    @discardableResult
    func add(_ e: TarEntry, copying fd: Int32, what: String) throws(BoxError) -> Int64
}

extension ArchiveWriter: MergeSink {}

/// Walks merged directories depth first, in byte order of names, writing each entry once.
struct MergeWalker {
    let writer: any MergeSink
    private var files: FileEntries

    struct FileKey: Hashable {
        let dev: UInt64
        let ino: UInt64
    }

    init(writer: any MergeSink) {
        self.writer = writer
        files = FileEntries(writer: writer)
    }

    /// Writes the contents of a merged directory: `stack` holds its directory in each contributing layer, top first.
    mutating func directory(_ stack: [Int32], path: [UInt8]) throws(BoxError) {
        var owner: [[UInt8]: Int] = [:]
        for (i, fd) in stack.enumerated() {
            for name in try MergeWalker.names(fd, path: path) where owner[name] == nil { owner[name] = i }
        }
        for name in owner.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let fd = stack[owner[name]!]
            var st = stat()
            // a name that a running container removed since the listing is skipped
            guard fstatat(fd, name.cString, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if MergeWalker.isWhiteout(st) { continue }
            let child = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name
            if (st.st_mode & S_IFMT) == S_IFDIR {
                var sub: [Int32] = []
                defer { for d in sub { close(d) } }
                for lower in stack[owner[name]!...] {
                    var ls = stat()
                    // a layer without the name lets the ones below show through
                    guard fstatat(lower, name.cString, &ls, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                    guard (ls.st_mode & S_IFMT) == S_IFDIR else { break }
                    let d = openat(lower, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard d >= 0 else { break }
                    sub.append(d)
                    if MergeWalker.isOpaque(d) { break }
                }
                guard let top = sub.first else { continue }
                var ds = stat()
                guard fstat(top, &ds) == 0 else { continue }
                var e = MergeWalker.entry(child, .directory, ds)
                e.xattrs = MergeWalker.xattrs(top)
                try writer.add(e)
                try directory(sub, path: child)
            } else {
                try files.add(fd, name, child, st)
            }
        }
    }

    static func entry(_ path: [UInt8], _ kind: TarEntry.Kind, _ st: stat) -> TarEntry {
        var e = TarEntry(path: path, kind: kind, mode: UInt32(st.st_mode & 0o7777))
        e.uid = st.st_uid
        e.gid = st.st_gid
        e.mtime = Int(st.st_mtim.tv_sec)
        e.mtimeNanos = Int(st.st_mtim.tv_nsec)
        return e
    }

    /// An overlay whiteout: a character device with device number 0:0.
    static func isWhiteout(_ st: stat) -> Bool {
        (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0
    }

    static func isOpaque(_ fd: Int32) -> Bool {
        for attr in ["trusted.overlay.opaque", "user.overlay.opaque"] {
            var v: UInt8 = 0
            if fgetxattr(fd, attr, &v, 1) == 1 && v == UInt8(ascii: "y") { return true }
        }
        return false
    }

    /// The extended attributes worth keeping: not overlay's own, not the host's SELinux label.
    static func xattrs(_ fd: Int32) -> [(String, [UInt8])] {
        let size = flistxattr(fd, nil, 0)
        guard size > 0 else { return [] }
        var list = [CChar](repeating: 0, count: size)
        let n = flistxattr(fd, &list, size)
        guard n > 0 else { return [] }
        var out: [(String, [UInt8])] = []
        for raw in list[0..<n].split(separator: 0) {
            let name = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.overlay.") || name == "security.selinux" { continue }
            let len = fgetxattr(fd, name, nil, 0)
            guard len >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: len)
            let got = fgetxattr(fd, name, &value, len)
            guard got >= 0 else { continue }
            out.append((name, Array(value[0..<got])))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// The names in a directory, as bytes, without `.` and `..`.
    static func names(_ fd: Int32, path: [UInt8]) throws(BoxError) -> [[UInt8]] {
        let what = "/" + String(decoding: path, as: UTF8.self)
        let d = try check("open directory", what) { openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard let dir = fdopendir(d) else {
            close(d)
            throw BoxError.sys("open directory", what, errno: errno)
        }
        defer { closedir(dir) }
        var out: [[UInt8]] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [46] && name != [46, 46] { out.append(name) }
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// These bytes as a NUL-terminated C string.
    var cString: [CChar] { map { CChar(bitPattern: $0) } + [0] }
}

/// The entries that are not directories, written by `export` and `cp`: a second name of a multiply-linked file
/// becomes a hard link to the first name written.
struct FileEntries {
    let writer: any MergeSink
    private var linked: [MergeWalker.FileKey: [UInt8]] = [:]

    init(writer: any MergeSink) { self.writer = writer }

    /// Writes a file, symlink, device or FIFO: `name` in `dirfd`, or, when `name` is nil, the object of the
    /// `O_PATH` fd `dirfd` (then a file that cannot be opened is an error, not skipped). Sockets are skipped.
    mutating func add(_ dirfd: Int32, _ name: [UInt8]?, _ path: [UInt8], _ st: stat) throws(BoxError) {
        let what = String(decoding: path, as: UTF8.self)
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let key = MergeWalker.FileKey(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
            if st.st_nlink > 1, let first = linked[key] {
                var e = MergeWalker.entry(path, .hardlink, st)
                e.link = first
                try writer.add(e)
                return
            }
            // O_NONBLOCK: a FIFO swapped in after the stat must not block the open
            let fd = name.map { openat(dirfd, $0.cString, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
                ?? open("/proc/self/fd/\(dirfd)", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else {
                if name == nil { throw BoxError.sys("open", what, errno: errno) }
                return
            }
            defer { close(fd) }
            var fs = stat()
            guard fstat(fd, &fs) == 0, (fs.st_mode & S_IFMT) == S_IFREG else { return }
            var e = MergeWalker.entry(path, .file, fs)
            e.size = Int64(fs.st_size)
            e.xattrs = MergeWalker.xattrs(fd)
            // a file that shrinks while it is read is padded with zeros by the writer, as tar does
            try writer.add(e, copying: fd, what: what)
            if st.st_nlink > 1 { linked[key] = path }
        case S_IFLNK:
            guard let target = CopyTarget.readLinkBytes(dirfd, name?.cString ?? [0]) else { return }
            var e = MergeWalker.entry(path, .symlink, st)
            e.link = target
            try writer.add(e)
        case S_IFCHR, S_IFBLK:
            var e = MergeWalker.entry(path, (st.st_mode & S_IFMT) == S_IFCHR ? .charDevice : .blockDevice, st)
            e.rdev = UInt64(st.st_rdev)
            try writer.add(e)
        case S_IFIFO:
            try writer.add(MergeWalker.entry(path, .fifo, st))
        default:
            return  // sockets are not archived
        }
    }
}
