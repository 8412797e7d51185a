#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// Directory trees, removed fd-relative without ever following a symlink.
public enum Tree {
    /// Removes `path` and everything below it; an absent path is fine.
    public static func remove(_ path: String) throws(BoxError) {
        let parent = Files.dirname(path)
        let name = String(path[path.index(after: path.lastIndex(of: "/") ?? path.startIndex)...])
        let dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 {
            if errno == ENOENT { return }
            throw BoxError.sys("open", parent, errno: errno)
        }
        defer { close(dfd) }
        try removeAt(dfd, name, display: path)
    }

    /// Removes the entry `name` of the directory `dirfd`, recursively if it is a directory.
    public static func removeAt(_ dirfd: Int32, _ name: String, display: String) throws(BoxError) {
        if unlinkat(dirfd, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR else { throw BoxError.sys("remove", display, errno: errno) }
        let fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw BoxError.sys("open", display, errno: errno) }
        guard let dir = fdopendir(fd) else {
            close(fd)
            throw BoxError.sys("open", display, errno: errno)
        }
        var children: [String] = []
        while let ent = readdir(dir) {
            let child = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if child != "." && child != ".." { children.append(child) }
        }
        var failure: BoxError?
        for child in children {
            do { try removeAt(fd, child, display: display + "/" + child) } catch { failure = failure ?? error }
        }
        closedir(dir)
        if let failure { throw failure }
        if unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT {
            throw BoxError.sys("remove", display, errno: errno)
        }
    }

    /// The total size in bytes of the regular files below `path` (not following symlinks).
    public static func size(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        if (st.st_mode & S_IFMT) != S_IFDIR { return (st.st_mode & S_IFMT) == S_IFREG ? Int64(st.st_size) : 0 }
        var total: Int64 = 0
        for name in (try? Files.list(path)) ?? [] { total += size(path + "/" + name) }
        return total
    }
}
