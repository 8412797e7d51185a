#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI

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
    /// Writes what `resources` sets (memory, CPU, cpuset, pids, device rules) into the cgroup `path`; what it
    /// leaves nil is not touched. Called between `create` and `add`, and by `box update`.
    func apply(_ resources: RuntimeSpec.Resources, to path: String) throws(BoxError)
    /// Whether the host offers `controller` (`memory`, `cpu`, `cpuset`, `pids`, `devices`, …) to containers.
    func available(_ controller: String) -> Bool
    /// Whether memory plus swap can be limited (v1's `memory.memsw.limit_in_bytes`; on v2, the memory controller).
    var swapLimitSupported: Bool { get }
    /// The CPUs and memory nodes the host's root cpuset offers, in the kernel's list form (`0-3,5`).
    func hostCpuset() -> (cpus: String, mems: String)
    /// The usage counters of the cgroup, for `box stats`; zeros where a file is missing.
    func stats(_ path: String) -> CgroupStats
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

/// Writes a small value to a cgroup control file (truncated first, as runc does: a fake tree then holds
/// exactly the last value).
func writeControl(_ path: String, _ value: String) throws(BoxError) {
    let fd = try check("open", path) { open(path, O_WRONLY | O_CLOEXEC | O_CREAT | O_TRUNC, 0o644) }
    defer { close(fd) }
    try Files.writeAll(fd: fd, Array(value.utf8), name: path)
}

/// Writes lines to a control file that takes a list of writes (`devices.allow`), one write each, appending:
/// the kernel ignores the offset, and a fake tree keeps every rule in order.
func appendControl(_ path: String, _ lines: [String]) throws(BoxError) {
    let fd = try check("open", path) { open(path, O_WRONLY | O_CLOEXEC | O_CREAT | O_APPEND, 0o644) }
    defer { close(fd) }
    for line in lines { try Files.writeAll(fd: fd, Array((line + "\n").utf8), name: path) }
}

/// The words of a control file such as `cgroup.controllers` (a leading `+` dropped, as a fake tree keeps it).
func controlWords(_ path: String) -> [String] {
    guard let bytes = try? Files.read(path) else { return [] }
    return String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        .map { $0.hasPrefix("+") ? String($0.dropFirst()) : String($0) }
}

extension CgroupBackend {
    /// The first controller that `resources` needs and the host lacks; nil when all are there.
    /// Device rules are left out: without the devices controller they are skipped, as on v2.
    public func missingController(for resources: RuntimeSpec.Resources) -> String? {
        Cgroups.controllersNeeded(by: resources).first { !available($0) }
    }
}

extension Cgroups {
    /// The controllers the limits of `r` are written to, in the order they are applied.
    public static func controllersNeeded(by r: RuntimeSpec.Resources) -> [String] {
        var out: [String] = []
        if let m = r.memory, m.limit != nil || m.reservation != nil || m.swap != nil || m.swappiness != nil { out.append("memory") }
        if let c = r.cpu {
            if c.shares != nil || c.quota != nil || c.period != nil { out.append("cpu") }
            if c.cpus != nil || c.mems != nil { out.append("cpuset") }
        }
        if r.pids != nil { out.append("pids") }
        return out
    }
}
