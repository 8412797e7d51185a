#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// cgroup v2: one tree; controllers are enabled for children through `cgroup.subtree_control`,
/// and processes live only in leaves.
public struct CgroupV2: CgroupBackend {
    public let root: String

    /// Seconds a freeze may take before it is undone and reported (a task in an uninterruptible sleep holds it up).
    public var freezeTimeout: Double = 5

    public var version: String { "v2" }

    public init(root: String) { self.root = root }

    public func directories(_ path: String) -> [String] { ["\(root)/\(path)"] }

    public func create(_ path: String) throws(BoxError) {
        var cur = root
        let parts = path.split(separator: "/")
        for (i, part) in parts.enumerated() {
            // enable in each parent what it offers, so the leaf can be limited; failure only means fewer limits
            if let offered = try? Files.read(cur + "/cgroup.controllers") {
                let names = String(decoding: offered, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
                if !names.isEmpty && i > 0 {
                    try? writeControl(cur + "/cgroup.subtree_control", names.map { "+\($0)" }.joined(separator: " "))
                }
            }
            cur += "/\(part)"
            if mkdir(cur, 0o755) != 0 && errno != EEXIST { throw BoxError.sys("create cgroup", cur, errno: errno) }
        }
    }

    public func add(pid: Int32, to path: String) throws(BoxError) {
        try writeControl("\(root)/\(path)/cgroup.procs", "\(pid)\n")
    }

    public func remove(_ path: String) throws(BoxError) {
        try removeCgroupDir("\(root)/\(path)")
    }

    /// `cgroup.freeze` 1, then wait for `frozen 1` in `cgroup.events`.
    public func freeze(_ path: String) throws(BoxError) {
        let dir = "\(root)/\(path)"
        do {
            try driveFreezer(dir + "/cgroup.freeze", "1", what: "freeze cgroup \(path)", timeout: freezeTimeout) { frozen(dir) == true }
        } catch {
            // undo a half-done freeze, so no task stays frozen behind an error
            if Files.exists(dir + "/cgroup.freeze") { try? writeControl(dir + "/cgroup.freeze", "0") }
            throw error
        }
    }

    public func thaw(_ path: String) throws(BoxError) {
        let dir = "\(root)/\(path)"
        try driveFreezer(dir + "/cgroup.freeze", "0", what: "thaw cgroup \(path)", timeout: freezeTimeout) { frozen(dir) == false }
    }

    /// The `frozen` key of the cgroup's `cgroup.events`.
    private func frozen(_ dir: String) -> Bool? {
        guard let bytes = try? Files.read(dir + "/cgroup.events") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("frozen ") {
            return line.dropFirst(7) == "1"
        }
        return nil
    }
}
