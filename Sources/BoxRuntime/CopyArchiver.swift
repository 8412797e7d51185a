#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import CBox

/// Writes what a copy reads as tar entries, depth first, in byte order of names.
///
/// Below the source every file is opened relative to its directory's fd without following symlinks (a symlink is
/// archived as one), so a running container that swaps a directory for a symlink while it is read cannot lead
/// box out of it. Files with several links become hard links to the first name written. The contents of the
/// kernel's filesystems mounted in a running container (`/proc`, `/sys`, cgroups) are not archived, only their
/// mount points.
struct CopyArchiver {
    let writer: ArchiveWriter
    private var linked: [MergeWalker.FileKey: [UInt8]] = [:]

    init(writer: ArchiveWriter) {
        self.writer = writer
    }

    /// Writes `src` with its top entry named `top` (its contents unprefixed and no top entry when nil), then ends
    /// the archive.
    mutating func write(_ src: CopySource, top: String?) throws(BoxError) {
        let prefix = top.map { Array($0.utf8) }
        if src.isDir {
            let d = open("/proc/self/fd/\(src.fd)", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard d >= 0 else { throw BoxError.sys("open directory", src.base, errno: errno) }
            defer { close(d) }
            var ds = stat()
            guard fstat(d, &ds) == 0 else { throw BoxError.sys("stat", src.base, errno: errno) }
            if let prefix {
                var e = MergeWalker.entry(prefix, .directory, ds)
                e.xattrs = MergeWalker.xattrs(d)
                try writer.add(e)
            }
            try directory(d, path: prefix ?? [], dev: ds.st_dev)
        } else if let prefix {
            try nonDirectory(src.fd, nil, prefix, src.st)
        }
        try writer.finish()
    }

    /// The entries below the directory `fd`, named from `path`.
    private mutating func directory(_ fd: Int32, path: [UInt8], dev: dev_t) throws(BoxError) {
        let names = try MergeWalker.names(fd, path: path).sorted { $0.lexicographicallyPrecedes($1) }
        for name in names {
            var st = stat()
            // a name removed since the listing is skipped
            guard fstatat(fd, name.cString, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let child = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                try nonDirectory(fd, name, child, st)
                continue
            }
            let d = openat(fd, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard d >= 0 else { continue }
            defer { close(d) }
            var ds = stat()
            guard fstat(d, &ds) == 0 else { continue }
            var e = MergeWalker.entry(child, .directory, ds)
            e.xattrs = MergeWalker.xattrs(d)
            try writer.add(e)
            if ds.st_dev != dev && CopyArchiver.isKernelFS(d) { continue }
            try directory(d, path: child, dev: ds.st_dev)
        }
    }

    /// One non-directory: `name` in `dirfd`, or, when `name` is nil, the object of the `O_PATH` fd `dirfd`.
    private mutating func nonDirectory(_ dirfd: Int32, _ name: [UInt8]?, _ path: [UInt8], _ st: stat) throws(BoxError) {
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

    /// procfs, sysfs, cgroup (v1 and v2), debugfs, tracefs, securityfs, bpf, configfs, pstore: the kernel's.
    static let kernelFSTypes: Set<Int> = [0x9fa0, 0x6265_6572, 0x27e0eb, 0x6367_7270, 0x6462_6720, 0x7472_6163,
                                         0x7363_6673, 0xcafe_4a11, 0x6265_6570, 0x6165_676c]

    static func isKernelFS(_ fd: Int32) -> Bool {
        kernelFSTypes.contains(box_fs_type(fd))
    }
}
