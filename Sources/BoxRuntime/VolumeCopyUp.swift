#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import CBox

/// Docker's copy-up: what a container's filesystem holds at a volume's mount point is copied into the empty
/// volume before the container first runs with it, owners, modes, times, xattrs, symlinks and hard links kept.
///
/// The container's layers (its `upper/` over the image's) are read without mounting, merged as overlayfs merges
/// them (``MergeWalker``, shared with `box export`). The mount point is resolved in that merged tree the way the
/// child resolves it (`openat2(RESOLVE_IN_ROOT)`): a symlink on the way is followed inside the root, never out
/// of it. The copy is written relative to the volume's directory fd, creating each entry with `O_NOFOLLOW` or
/// `O_EXCL` and never following a symlink, so nothing lands outside the volume even if another container that
/// shares it changes it meanwhile.
struct VolumeCopyUp {
    /// The layer directories, top first.
    let layers: [String]

    /// Copies the tree at `path` into the directory `data`. Returns whether the tree had anything to copy.
    func copy(_ path: String, into data: String) throws(BoxError) -> Bool {
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        let root = try MergedPath.openLayers(layers, opened: &opened)
        guard let stack = MergedPath.resolve(path, root: root, opened: &opened), let top = stack.first else { return false }
        let dst = try check("open volume", data) { open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(dst) }
        let sink = DirectorySink(rootfd: dst, keepOwners: geteuid() == 0)
        var walker = MergeWalker(writer: sink)
        try walker.directory(stack, path: [])
        try sink.finish()
        // the volume's own directory takes the owner and mode of the directory it covers, as Docker's does
        var st = stat()
        if fstat(top, &st) == 0 {
            if sink.keepOwners { _ = fchown(dst, st.st_uid, st.st_gid) }
            _ = fchmod(dst, st.st_mode & 0o7777)
        }
        return true
    }
}

/// Writes merged entries into a directory, fd-relative: each parent is opened from the root one component at a
/// time with `O_NOFOLLOW`, files are created `O_EXCL`, nothing existing is followed or replaced.
final class DirectorySink: MergeSink {
    let rootfd: Int32
    let keepOwners: Bool
    /// Directories' times, set when everything below them is written (writing in them changes them).
    private var dirTimes: [([UInt8], timespec)] = []

    init(rootfd: Int32, keepOwners: Bool) {
        self.rootfd = rootfd
        self.keepOwners = keepOwners
    }

    /// The parent directory of `path` (relative) and the last component; the caller closes the fd.
    private func parent(_ path: [UInt8]) throws(BoxError) -> (Int32, [UInt8]) {
        let parts = path.split(separator: UInt8(ascii: "/")).map(Array.init)
        guard let name = parts.last, name != [46, 46], name != [46] else {
            throw BoxError(.invalidArgument, "copy to volume: bad entry \(show(path))")
        }
        var fd = dup(rootfd)
        for p in parts.dropLast() {
            let next = openat(fd, p.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let e = errno
            close(fd)
            guard next >= 0 else { throw BoxError.sys("copy to volume: open parent of", show(path), errno: e) }
            fd = next
        }
        return (fd, name)
    }

    func add(_ e: TarEntry) throws(BoxError) {
        let (dir, name) = try parent(e.path)
        defer { close(dir) }
        let c = name.cString
        let what = show(e.path)
        switch e.kind {
        case .directory:
            if mkdirat(dir, c, 0o700) != 0 { throw BoxError.sys("copy to volume: create directory", what, errno: errno) }
            let fd = openat(dir, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw BoxError.sys("copy to volume: open", what, errno: errno) }
            defer { close(fd) }
            try meta(fd, e, what)
            dirTimes.append((e.path, timespec(tv_sec: e.mtime, tv_nsec: e.mtimeNanos)))
        case .symlink:
            if symlinkat((e.link ?? []).cString, dir, c) != 0 { throw BoxError.sys("copy to volume: create symlink", what, errno: errno) }
            if keepOwners { _ = fchownat(dir, c, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) }
            var times = [timespec(tv_sec: e.mtime, tv_nsec: e.mtimeNanos), timespec(tv_sec: e.mtime, tv_nsec: e.mtimeNanos)]
            _ = utimensat(dir, c, &times, AT_SYMLINK_NOFOLLOW)
        case .hardlink:
            let (tdir, tname) = try parent(e.link ?? [])
            defer { close(tdir) }
            if linkat(tdir, tname.cString, dir, c, 0) != 0 { throw BoxError.sys("copy to volume: hard link", what, errno: errno) }
        case .charDevice, .blockDevice, .fifo:
            let type: mode_t = e.kind == .charDevice ? S_IFCHR : e.kind == .blockDevice ? S_IFBLK : S_IFIFO
            if mknodat(dir, c, type | mode_t(e.mode & 0o7777), dev_t(e.rdev)) != 0 {
                throw BoxError.sys("copy to volume: create node", what, errno: errno)
            }
            if keepOwners { _ = fchownat(dir, c, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) }
        case .file:
            throw BoxError(.invalidArgument, "copy to volume: \(what) has no data")
        }
    }

    @discardableResult
    func add(_ e: TarEntry, copying src: Int32, what: String) throws(BoxError) -> Int64 {
        let (dir, name) = try parent(e.path)
        defer { close(dir) }
        let fd = openat(dir, name.cString, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BoxError.sys("copy to volume: create", show(e.path), errno: errno) }
        defer { close(fd) }
        var total: Int64 = 0
        var buf = [UInt8](repeating: 0, count: 1 << 17)
        while true {
            let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw BoxError.sys("copy to volume: read", what, errno: errno) }
            if n == 0 { break }
            try Files.writeAll(fd: fd, Array(buf[0..<n]), name: what)
            total += Int64(n)
        }
        try meta(fd, e, show(e.path))
        var times = [timespec(tv_sec: e.mtime, tv_nsec: e.mtimeNanos), timespec(tv_sec: e.mtime, tv_nsec: e.mtimeNanos)]
        _ = futimens(fd, &times)
        return total
    }

    /// Owner (first: chown clears setuid and setgid), mode, then extended attributes.
    private func meta(_ fd: Int32, _ e: TarEntry, _ what: String) throws(BoxError) {
        if keepOwners && fchown(fd, e.uid, e.gid) != 0 { throw BoxError.sys("copy to volume: chown", what, errno: errno) }
        if fchmod(fd, mode_t(e.mode & 0o7777)) != 0 { throw BoxError.sys("copy to volume: chmod", what, errno: errno) }
        for (name, value) in e.xattrs where fsetxattr(fd, name, value, value.count, 0) != 0 && errno != ENOTSUP && errno != EPERM {
            throw BoxError.sys("copy to volume: set xattr \(name) on", what, errno: errno)
        }
    }

    /// Sets the directories' times, deepest first.
    func finish() throws(BoxError) {
        for (path, t) in dirTimes.reversed() {
            let (dir, name) = try parent(path)
            var times = [t, t]
            _ = utimensat(dir, name.cString, &times, AT_SYMLINK_NOFOLLOW)
            close(dir)
        }
    }

    private func show(_ path: [UInt8]) -> String { "/" + String(decoding: path, as: UTF8.self) }
}
