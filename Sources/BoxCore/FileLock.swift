#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a directory, held until `unlock()` or deinit.
///
/// box locks directories rather than separate lock files, so nothing is left behind when the
/// directory goes: the containers directory guards names, a container's directory guards its state,
/// the store's root guards the image index.
public final class FileLock {
    private var fd: Int32

    /// Opens `path` (a directory) and waits for an exclusive lock on it.
    public init(_ path: String, shared: Bool = false) throws(BoxError) {
        fd = try check("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        do {
            try check("lock", path) { flock(fd, shared ? LOCK_SH : LOCK_EX) }
        } catch {
            close(fd)
            throw error
        }
    }

    private init(fd: Int32) { self.fd = fd }

    /// Takes the lock only if no one holds it (or holds it in a conflicting mode); nil otherwise.
    public static func attempt(_ path: String, shared: Bool = false) -> FileLock? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { return nil }
        if flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            close(fd)
            return nil
        }
        return FileLock(fd: fd)
    }

    /// Releases the lock now.
    public func unlock() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    deinit { unlock() }
}

/// Runs `body` while holding an exclusive lock on the directory `path`.
public func withLock<T>(_ path: String, _ body: () throws(BoxError) -> T) throws(BoxError) -> T {
    let lock = try FileLock(path)
    defer { lock.unlock() }
    return try body()
}
