#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import CBox

/// Paths as `docker cp` reads them: the rules of Docker's archive package, applied lexically.
public enum CopyPath {
    /// Go's `path.Clean`.
    public static func clean(_ p: String) -> String { CopyExtractor.clean(p) }

    /// Whether `p` names the contents of a directory: `.` or ending in `/.`.
    public static func specifiesCurrentDir(_ p: String) -> Bool { p == "." || p.hasSuffix("/.") }

    /// Whether `p` can only be a directory: it ends in `/` or `/.`.
    public static func assertsDirectory(_ p: String) -> Bool { p.hasSuffix("/") || specifiesCurrentDir(p) }

    /// The directory and the last component of a cleaned absolute path: `/a/b` is `/a` and `b`, `/a` is `/` and `a`.
    public static func split(_ abs: String) -> (dir: String, base: String) {
        guard let slash = abs.lastIndex(of: "/") else { return (".", abs) }
        let dir = String(abs[..<slash])
        return (dir.isEmpty ? "/" : dir, String(abs[abs.index(after: slash)...]))
    }

    /// A container path as an absolute, cleaned one: `tmp/x` and `/tmp/x` are the same.
    public static func inContainer(_ p: String) -> String { clean("/" + p) }

    /// A host path as an absolute, cleaned one, relative ones taken from the working directory.
    public static func onHost(_ p: String) -> String {
        if p.hasPrefix("/") { return clean(p) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let cwd = getcwd(&buf, buf.count).map { String(cString: $0) } ?? "."
        return clean(cwd + "/" + p)
    }

    /// Splits a `box cp` argument into a container and a path, as Docker does: an absolute path, one without
    /// `:`, or one whose part before the `:` starts with `.` (`./a:b`) is local (container nil).
    public static func splitArgument(_ arg: String) -> (container: String?, path: String) {
        if arg.hasPrefix("/") { return (nil, arg) }
        guard let colon = arg.firstIndex(of: ":") else { return (nil, arg) }
        let container = String(arg[..<colon])
        if container.hasPrefix(".") { return (nil, arg) }
        return (container, String(arg[arg.index(after: colon)...]))
    }
}

/// One side of a copy, where its paths are looked up: the host, or a container's root, where every path is
/// resolved as the container sees it (`openat2` with `RESOLVE_IN_ROOT`: symlinks and `..` stay inside).
struct CopyFS {
    /// The container's root (`O_PATH`); nil for the host.
    let root: Int32?

    /// Opens `path` (absolute) with `flags`; -1 with errno.
    func open(_ path: String, _ flags: Int32) -> Int32 {
        if let root { return box_open_in_root(root, path, flags) }
        return Glibc.open(path, flags | O_CLOEXEC)
    }
}

/// What a copy reads: a file or directory, held by an `O_PATH` fd so that what was checked is what is read.
final class CopySource {
    let fd: Int32
    let st: stat
    /// The name its entries take: the last component of the path as given (a followed symlink's own name).
    let base: String
    /// `dir/.` (or `/`): the directory's contents, not the directory.
    let contentsOnly: Bool

    var isDir: Bool { (st.st_mode & S_IFMT) == S_IFDIR }

    /// Opens `typed` (its absolute form `abs`) on `fs`. The last component is not followed unless `follow`
    /// (`-L`), a trailing `/` or `/.` asks for it. `missing` gives the error for a path that is not there.
    init(_ fs: CopyFS, typed: String, abs: String, follow: Bool, missing: (Int32) -> BoxError) throws(BoxError) {
        contentsOnly = CopyPath.specifiesCurrentDir(typed) || abs == "/"
        let followLast = follow || CopyPath.assertsDirectory(typed) || abs == "/"
        let fd = fs.open(abs, BOX_O_PATH | (followLast ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw missing(errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw BoxError.sys("lstat", abs, errno: e)
        }
        if CopyPath.assertsDirectory(typed) && (st.st_mode & S_IFMT) != S_IFDIR {
            close(fd)
            throw BoxError.sys("lstat", abs, errno: ENOTDIR)
        }
        self.fd = fd
        self.st = st
        base = abs == "/" ? "." : CopyPath.split(abs).base
    }

    deinit { close(fd) }

    /// The name of the top entry of a tar of this source, as `docker cp SRC -` writes it.
    var streamName: String { contentsOnly ? "." : base }
}

/// Where a copy writes: a path resolved on its side, the symlinks of its last component followed (relative
/// ones from their directory, absolute ones from the side's root) as Docker's copy does.
final class CopyTarget {
    /// The directory that holds the target; for `/`, the root itself.
    let parent: Int32
    /// The target's name in `parent`; nil for `/`.
    let name: String?
    /// Its path after the symlinks.
    let path: String
    /// What is there now; nil when nothing is.
    let st: stat?

    var exists: Bool { st != nil }
    var isDir: Bool { st.map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false }

    private init(parent: Int32, name: String?, path: String, st: stat?) {
        self.parent = parent
        self.name = name
        self.path = path
        self.st = st
    }

    deinit { close(parent) }

    /// Resolves `abs` on `fs`. `parentError` gives the error for a parent directory that cannot be opened.
    static func resolve(_ fs: CopyFS, _ abs: String, parentError: (String, Int32) -> BoxError) throws(BoxError) -> CopyTarget {
        var p = abs
        for _ in 0...10 {
            if p == "/" {
                let fd = fs.open("/", O_RDONLY | O_DIRECTORY)
                guard fd >= 0 else { throw parentError("/", errno) }
                var st = stat()
                fstat(fd, &st)
                return CopyTarget(parent: fd, name: nil, path: "/", st: st)
            }
            let (dir, base) = CopyPath.split(p)
            let pfd = fs.open(dir, O_RDONLY | O_DIRECTORY)
            guard pfd >= 0 else { throw parentError(dir, errno) }
            var st = stat()
            if fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                let e = errno
                if e == ENOENT { return CopyTarget(parent: pfd, name: base, path: p, st: nil) }
                close(pfd)
                throw BoxError.sys("lstat", p, errno: e)
            }
            guard (st.st_mode & S_IFMT) == S_IFLNK else { return CopyTarget(parent: pfd, name: base, path: p, st: st) }
            let link = CopyTarget.readLink(pfd, base)
            close(pfd)
            guard let link else { throw BoxError.sys("readlink", p, errno: errno) }
            p = CopyPath.clean(link.hasPrefix("/") ? link : dir + "/" + link)
        }
        throw BoxError(.invalidArgument, "too many symlinks in \(abs)")
    }

    /// The target of the symlink `name` in `dirfd` (an empty name: `dirfd` is an `O_PATH` fd of the link).
    static func readLink(_ dirfd: Int32, _ name: String) -> String? {
        readLinkBytes(dirfd, Array(name.utf8CString)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The same for a name given as a C string of bytes.
    static func readLinkBytes(_ dirfd: Int32, _ name: [CChar]) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buf.withUnsafeMutableBytes { readlinkat(dirfd, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        guard n >= 0 else { return nil }
        return Array(buf[0..<n])
    }
}
