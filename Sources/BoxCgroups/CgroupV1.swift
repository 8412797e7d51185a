#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// cgroup v1: one hierarchy per controller, `root/<controller>/<path>` in each.
public struct CgroupV1: CgroupBackend {
    public let root: String
    /// The controller directories in use (comounted ones, like `cpu,cpuacct`, once).
    public let controllers: [String]

    /// Seconds a freeze may take before it is undone and reported (a task in an uninterruptible sleep holds it up).
    public var freezeTimeout: Double = 5

    public var version: String { "v1" }

    /// The controllers box places containers in, when the host has them.
    public static let wanted = ["memory", "cpu,cpuacct", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio"]

    public init(root: String, controllers: [String]? = nil) {
        self.root = root
        if let controllers {
            self.controllers = controllers
        } else {
            // comounted controllers appear as a directory plus symlinks (cpu -> cpu,cpuacct): keep real directories
            var seen: [String] = []
            for c in CgroupV1.wanted {
                var st = stat()
                guard lstat("\(root)/\(c)", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
                seen.append(c)
            }
            self.controllers = seen
        }
    }

    public func directories(_ path: String) -> [String] { controllers.map { "\(root)/\($0)/\(path)" } }

    public func create(_ path: String) throws(BoxError) {
        var made: [String] = []
        do {
            for c in controllers {
                try mkdirChain(base: "\(root)/\(c)", rel: path, cpuset: c == "cpuset", made: &made)
            }
        } catch {
            for d in made.reversed() { rmdir(d) }
            throw error
        }
    }

    /// Creates each level below `base`; a new cpuset level copies its parent's cpus and mems, or it could hold no task.
    private func mkdirChain(base: String, rel: String, cpuset: Bool, made: inout [String]) throws(BoxError) {
        var cur = base
        for part in rel.split(separator: "/") {
            let parent = cur
            cur += "/\(part)"
            if mkdir(cur, 0o755) == 0 {
                made.append(cur)
                if cpuset {
                    for f in ["cpuset.cpus", "cpuset.mems"] {
                        let v = (try? Files.read("\(parent)/\(f)")) ?? []
                        if !v.isEmpty { try writeControl("\(cur)/\(f)", String(decoding: v, as: UTF8.self)) }
                    }
                }
            } else if errno != EEXIST {
                throw BoxError.sys("create cgroup", cur, errno: errno)
            }
        }
    }

    public func add(pid: Int32, to path: String) throws(BoxError) {
        for d in directories(path) { try writeControl(d + "/cgroup.procs", "\(pid)\n") }
    }

    public func remove(_ path: String) throws(BoxError) {
        var first: BoxError?
        for d in directories(path) {
            do { try removeCgroupDir(d) } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    /// `freezer.state`: FROZEN, then read back until the kernel has frozen every task (it says FREEZING meanwhile).
    public func freeze(_ path: String) throws(BoxError) {
        let state = "\(root)/freezer/\(path)/freezer.state"
        do {
            try driveFreezer(state, "FROZEN", what: "freeze cgroup \(path)", timeout: freezeTimeout) { readControl(state) == "FROZEN" }
        } catch {
            // undo a half-done freeze, so no task stays frozen behind an error
            if Files.exists(state) { try? writeControl(state, "THAWED") }
            throw error
        }
    }

    public func thaw(_ path: String) throws(BoxError) {
        let state = "\(root)/freezer/\(path)/freezer.state"
        try driveFreezer(state, "THAWED", what: "thaw cgroup \(path)", timeout: freezeTimeout) { readControl(state) == "THAWED" }
    }
}
