#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// A cgroup hierarchy that box can put a container in: v1 (a directory per controller) or v2 (one tree).
///
/// Backends take their mount point as a parameter, so tests run them against a temporary tree.
public protocol CgroupBackend: Sendable {
    /// `"v1"` or `"v2"`.
    var version: String { get }
    /// The directories that make up the cgroup `path` (relative, e.g. `box/<id>`).
    func directories(_ path: String) -> [String]
    /// Creates the cgroup `path`.
    func create(_ path: String) throws(BoxError)
    /// Moves a process into the cgroup.
    func add(pid: Int32, to path: String) throws(BoxError)
    /// Removes the cgroup; it must hold no process.
    func remove(_ path: String) throws(BoxError)
    /// Freezes every process of the cgroup (`pause`); returns once the kernel reports them all frozen.
    func freeze(_ path: String) throws(BoxError)
    /// Lets a frozen cgroup's processes run again (`unpause`).
    func thaw(_ path: String) throws(BoxError)
}

/// Finding the host's cgroup setup.
public enum Cgroups {
    /// The backend for the hierarchy mounted at `root`: v2 if `root` is a cgroup2 mount
    /// (it has `cgroup.controllers`), else v1 with the controllers found under `root`.
    public static func detect(root: String = "/sys/fs/cgroup") -> any CgroupBackend {
        if Files.exists(root + "/cgroup.controllers") { return CgroupV2(root: root) }
        return CgroupV1(root: root)
    }

    /// The cgroup path of a container.
    public static func path(forContainer id: String) -> String { "box/\(id)" }
}

/// Removes a cgroup directory, waiting briefly while the kernel finishes releasing a process that just exited.
func removeCgroupDir(_ dir: String) throws(BoxError) {
    for attempt in 0..<100 {
        if rmdir(dir) == 0 || errno == ENOENT { return }
        guard errno == EBUSY, attempt < 99 else { break }
        usleep(2000)
    }
    throw BoxError.sys("remove cgroup", dir, errno: errno)
}

/// Writes a small value to a cgroup control file.
func writeControl(_ path: String, _ value: String) throws(BoxError) {
    let fd = try check("open", path) { open(path, O_WRONLY | O_CLOEXEC | O_CREAT, 0o644) }
    defer { close(fd) }
    try Files.writeAll(fd: fd, Array(value.utf8), name: path)
}
