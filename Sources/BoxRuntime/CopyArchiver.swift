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
    private var files: FileEntries

    init(writer: ArchiveWriter) {
        self.writer = writer
        files = FileEntries(writer: writer)
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
            try files.add(src.fd, nil, prefix, src.st)
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
                try files.add(fd, name, child, st)
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

    /// procfs, sysfs, cgroup (v1 and v2), debugfs, tracefs, securityfs, bpf, configfs, pstore: the kernel's.
    static let kernelFSTypes: Set<Int> = [0x9fa0, 0x6265_6572, 0x27e0eb, 0x6367_7270, 0x6462_6720, 0x7472_6163,
                                         0x7363_6673, 0xcafe_4a11, 0x6265_6570, 0x6165_676c]

    static func isKernelFS(_ fd: Int32) -> Bool {
        kernelFSTypes.contains(box_fs_type(fd))
    }
}
