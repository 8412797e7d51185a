#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS
import CArchive
import CBox

/// How whiteouts are written: as root with `trusted.overlay.*`, rootless with `user.overlay.*` (`userxattr`).
public enum WhiteoutStyle: Sendable {
    case trusted, user

    var opaqueXattr: String { self == .trusted ? "trusted.overlay.opaque" : "user.overlay.opaque" }
}

/// Unpacks layer tars into directories that overlayfs can stack.
///
/// Every write is relative to a directory fd and never follows a symlink; an entry whose path has `..`,
/// is absolute, or would pass through a symlink is refused, so nothing is written outside the layer
/// directory. OCI whiteouts become overlay whiteouts: `.wh.NAME` a 0:0 character device, `.wh..wh..opq`
/// the opaque xattr on its directory. A later entry for the same path replaces the earlier one.
public struct LayerUnpacker {
    public var whiteouts: WhiteoutStyle
    /// Whether to apply owners from the tar (root), or leave files owned by the caller.
    public var keepOwners: Bool

    public init(whiteouts: WhiteoutStyle = .trusted, keepOwners: Bool = geteuid() == 0) {
        self.whiteouts = whiteouts
        self.keepOwners = keepOwners
    }

    /// Unpacks the layer blob at `blob` (tar, gzip or zstd) into the existing empty directory `dir`,
    /// checking the uncompressed stream against `diffID`. Returns the uncompressed size.
    @discardableResult
    public func unpack(blob: String, into dir: String, diffID: Digest) throws(BoxError) -> Int64 {
        try unpack(try ArchiveReader(layer: blob), into: dir, diffID: diffID)
    }

    /// Unpacks a layer stream read from `fd` (a pipe fed as the blob downloads), checked like `unpack(blob:…)`.
    @discardableResult
    public func unpack(fd: Int32, name: String, into dir: String, diffID: Digest) throws(BoxError) -> Int64 {
        try unpack(try ArchiveReader(layerFD: fd, name: name), into: dir, diffID: diffID)
    }

    private func unpack(_ reader: ArchiveReader, into dir: String, diffID: Digest) throws(BoxError) -> Int64 {
        let blob = reader.name
        let rootfd = try check("open", dir) { open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(rootfd) }
        var writer = EntryWriter(rootfd: rootfd, root: dir, style: whiteouts, keepOwners: keepOwners)
        defer { writer.closeCache() }
        while let entry = try reader.next() {
            try writer.apply(entry, from: reader)
        }
        let (got, size) = try reader.finishDiffID()
        guard got == diffID else {
            throw BoxError(.invalidImage, "layer \(blob): content digest \(got) does not match diff id \(diffID)")
        }
        return size
    }
}

/// A path in a layer, made safe: relative components with no `.` or `..`.
struct LayerPath: Equatable {
    let components: [String]

    /// Parses an entry name; throws for `..` and absolute paths.
    init(_ raw: String) throws(BoxError) {
        if raw.hasPrefix("/") { throw BoxError(.invalidImage, "layer entry \"\(raw)\": absolute path refused") }
        var parts: [String] = []
        for c in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { throw BoxError(.invalidImage, "layer entry \"\(raw)\": path escapes the layer") }
            parts.append(String(c))
        }
        components = parts
    }

    var name: String { components.last ?? "" }
    var parent: [String] { Array(components.dropLast()) }
}

/// Applies tar entries to a directory fd.
struct EntryWriter {
    let rootfd: Int32
    let root: String
    let style: WhiteoutStyle
    let keepOwners: Bool
    /// The directories of the last entry's parent path, one fd a component, opened from the root without
    /// following symlinks: the next entry reopens only what differs (tar lists a directory's entries together).
    private var openNames: [String] = []
    private var openFDs: [Int32] = []

    init(rootfd: Int32, root: String, style: WhiteoutStyle, keepOwners: Bool) {
        self.rootfd = rootfd
        self.root = root
        self.style = style
        self.keepOwners = keepOwners
    }

    mutating func closeCache() {
        for fd in openFDs { close(fd) }
        openFDs = []
        openNames = []
    }

    /// An fd of the directory `parts` below the root, created if missing; refuses symlinks on the way.
    /// The fd stays this writer's: valid until the next call.
    ///
    /// The open path is always exactly the current entry's parent, so an entry that replaces or removes a
    /// directory never leaves a stale fd behind: the entry itself is never on the open path.
    mutating func directory(_ parts: [String], create: Bool, entry: String) throws(BoxError) -> Int32 {
        var common = 0
        while common < min(parts.count, openNames.count) && parts[common] == openNames[common] { common += 1 }
        while openNames.count > common {
            close(openFDs.removeLast())
            openNames.removeLast()
        }
        for p in parts[common...] {
            let fd = openFDs.last ?? rootfd
            var next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, p, 0o755) != 0 && errno != EEXIST {
                    throw BoxError.sys("create directory for layer entry", "\"\(entry)\"", errno: errno)
                }
                next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                let e = errno
                if e == ELOOP || e == ENOTDIR {
                    throw BoxError(.invalidImage, "layer entry \"\(entry)\": parent is a symlink or not a directory, refused")
                }
                throw BoxError.sys("open parent of layer entry", "\"\(entry)\"", errno: e)
            }
            openFDs.append(next)
            openNames.append(p)
        }
        return openFDs.last ?? rootfd
    }

    /// Removes whatever is at `name` in `dirfd` unless it is a directory and `keepDir` is set.
    func clear(_ dirfd: Int32, _ name: String, keepDir: Bool, entry: String) throws(BoxError) {
        var st = stat()
        guard fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if keepDir && (st.st_mode & S_IFMT) == S_IFDIR { return }
        try Tree.removeAt(dirfd, name, display: entry)
    }

    mutating func apply(_ entry: OpaquePointer, from reader: ArchiveReader) throws(BoxError) {
        guard let cpath = archive_entry_pathname(entry) else {
            throw BoxError(.invalidImage, "layer entry with no name")
        }
        let raw = String(cString: cpath)
        let path = try LayerPath(raw)
        if path.components.isEmpty { return }  // the layer root itself
        let dirfd = try directory(path.parent, create: true, entry: raw)
        let name = path.name

        // OCI whiteouts
        if name == ".wh..wh..opq" {
            try setOpaque(dirfd, entry: raw)
            return
        }
        if name.hasPrefix(".wh.") {
            let hidden = String(name.dropFirst(4))
            if hidden.isEmpty || hidden == "." || hidden == ".." {
                throw BoxError(.invalidImage, "layer entry \"\(raw)\": bad whiteout")
            }
            try clear(dirfd, hidden, keepDir: false, entry: raw)
            if box_mknod_whiteout(dirfd, hidden) != 0 { throw BoxError.sys("create whiteout", "\"\(raw)\"", errno: errno) }
            return
        }

        let mode = mode_t(archive_entry_perm(entry))
        let uid = uid_t(truncatingIfNeeded: archive_entry_uid(entry))
        let gid = gid_t(truncatingIfNeeded: archive_entry_gid(entry))

        if let hl = archive_entry_hardlink(entry) {
            let target = try LayerPath(String(cString: hl))
            guard !target.components.isEmpty else { throw BoxError(.invalidImage, "layer entry \"\(raw)\": bad hard link") }
            let tname = target.name
            let targetDir = try directory(target.parent, create: false, entry: raw)
            // dup: the next directory() call may close the cached fd
            let tfd = dup(targetDir)
            defer { close(tfd) }
            let dfd = try directory(path.parent, create: true, entry: raw)
            try clear(dfd, name, keepDir: false, entry: raw)
            if linkat(tfd, tname, dfd, name, 0) != 0 { throw BoxError.sys("hard link layer entry", "\"\(raw)\"", errno: errno) }
            return
        }

        switch archive_entry_filetype(entry) {
        case UInt32(Glibc.S_IFDIR):
            try clear(dirfd, name, keepDir: true, entry: raw)
            if mkdirat(dirfd, name, 0o700) != 0 && errno != EEXIST {
                throw BoxError.sys("create directory", "\"\(raw)\"", errno: errno)
            }
            let fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 { throw BoxError.sys("open directory", "\"\(raw)\"", errno: errno) }
            defer { close(fd) }
            try setMeta(fd, uid: uid, gid: gid, mode: mode, entry: raw)
        case UInt32(Glibc.S_IFREG):
            try clear(dirfd, name, keepDir: false, entry: raw)
            let fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 { throw BoxError.sys("create file", "\"\(raw)\"", errno: errno) }
            defer { close(fd) }
            try reader.copyData(to: fd, what: "\"\(raw)\"")
            try setXattrs(fd, entry, raw)
            try setMeta(fd, uid: uid, gid: gid, mode: mode, entry: raw)
            var times = [timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: 0),
                         timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: 0)]
            futimens(fd, &times)
        case UInt32(Glibc.S_IFLNK):
            try clear(dirfd, name, keepDir: false, entry: raw)
            guard let t = archive_entry_symlink(entry) else { throw BoxError(.invalidImage, "layer entry \"\(raw)\": symlink without target") }
            if symlinkat(t, dirfd, name) != 0 { throw BoxError.sys("create symlink", "\"\(raw)\"", errno: errno) }
            if keepOwners && fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 {
                throw BoxError.sys("chown", "\"\(raw)\"", errno: errno)
            }
        case UInt32(Glibc.S_IFCHR), UInt32(Glibc.S_IFBLK), UInt32(Glibc.S_IFIFO):
            try clear(dirfd, name, keepDir: false, entry: raw)
            let kind = mode_t(archive_entry_filetype(entry))
            if mknodat(dirfd, name, kind | mode, archive_entry_rdev(entry)) != 0 {
                throw BoxError.sys("create device", "\"\(raw)\"", errno: errno)
            }
            if keepOwners && fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 {
                throw BoxError.sys("chown", "\"\(raw)\"", errno: errno)
            }
        default:
            throw BoxError(.invalidImage, "layer entry \"\(raw)\": unsupported file type")
        }
    }

    func setMeta(_ fd: Int32, uid: uid_t, gid: gid_t, mode: mode_t, entry: String) throws(BoxError) {
        // chown first: it clears setuid and setgid bits that chmod then sets
        if keepOwners && fchown(fd, uid, gid) != 0 { throw BoxError.sys("chown", "\"\(entry)\"", errno: errno) }
        if fchmod(fd, mode) != 0 { throw BoxError.sys("chmod", "\"\(entry)\"", errno: errno) }
    }

    func setOpaque(_ dirfd: Int32, entry: String) throws(BoxError) {
        if fsetxattr(dirfd, style.opaqueXattr, "y", 1, 0) != 0 {
            throw BoxError.sys("mark directory opaque for", "\"\(entry)\"", errno: errno)
        }
    }

    /// Copies the entry's extended attributes (file capabilities among them); overlay's own are refused.
    func setXattrs(_ fd: Int32, _ entry: OpaquePointer, _ raw: String) throws(BoxError) {
        guard archive_entry_xattr_reset(entry) > 0 else { return }
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let n = String(cString: name)
            if n.hasPrefix("trusted.overlay.") || n.hasPrefix("user.overlay.") { continue }
            if fsetxattr(fd, name, value, size, 0) != 0 && errno != ENOTSUP && errno != EPERM {
                throw BoxError.sys("set xattr \(n) on", "\"\(raw)\"", errno: errno)
            }
        }
    }
}
