#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI

// Limits on cgroup v2: one directory, with the controllers enabled from the root down to it.
// Device rules need an eBPF program on v2; box does not load one (docs/resources.md).

extension CgroupV2 {
    public func available(_ controller: String) -> Bool {
        controlWords(root + "/cgroup.controllers").contains(controller)
    }

    public var swapLimitSupported: Bool { available("memory") }

    public func hostCpuset() -> (cpus: String, mems: String) {
        (readControl(root + "/cpuset.cpus.effective"), readControl(root + "/cpuset.mems.effective"))
    }

    public func apply(_ r: RuntimeSpec.Resources, to path: String) throws(BoxError) {
        try enable(Cgroups.controllersNeeded(by: r), above: path)
        let dir = "\(root)/\(path)"
        if let m = r.memory {
            if let v = m.reservation { try writeControl(dir + "/memory.low", "\(v)") }
            if let v = m.limit { try writeControl(dir + "/memory.max", Self.max(v)) }
            // v2 limits swap alone: memory+swap minus memory (equal values: no swap)
            if let s = m.swap, Files.exists(dir + "/memory.swap.max") {
                if s < 0 {
                    try writeControl(dir + "/memory.swap.max", "max")
                } else {
                    guard let limit = m.limit, limit > 0, s >= limit else {
                        throw BoxError(.invalidArgument, "memory+swap limit \(s) needs a memory limit no larger than it")
                    }
                    try writeControl(dir + "/memory.swap.max", "\(s - limit)")
                }
            }
        }
        if let c = r.cpu {
            if let v = c.shares { try writeControl(dir + "/cpu.weight", "\(Self.weight(shares: v))") }
            if c.quota != nil || c.period != nil {
                var value = c.quota.map { $0 > 0 ? "\($0)" : "max" } ?? "max"
                if let p = c.period { value += " \(p)" }
                try writeControl(dir + "/cpu.max", value)
            }
            if let v = c.cpus { try writeControl(dir + "/cpuset.cpus", v) }
            if let v = c.mems { try writeControl(dir + "/cpuset.mems", v) }
        }
        if let p = r.pids { try writeControl(dir + "/pids.max", Self.max(p.limit)) }
    }

    /// Enables `controllers` in `cgroup.subtree_control` of the root and of every level above the cgroup
    /// `path`, where not enabled yet; a controller the root does not offer is an error.
    func enable(_ controllers: [String], above path: String) throws(BoxError) {
        guard !controllers.isEmpty else { return }
        if let missing = controllers.first(where: { !available($0) }) {
            throw BoxError(.notFound, "cgroup controller \"\(missing)\" is not available on this host")
        }
        var cur = root
        for part in path.split(separator: "/") {
            let enabled = controlWords(cur + "/cgroup.subtree_control")
            let wanted = controllers.filter { !enabled.contains($0) }
            if !wanted.isEmpty {
                try writeControl(cur + "/cgroup.subtree_control", wanted.map { "+\($0)" }.joined(separator: " "))
            }
            cur += "/\(part)"
        }
    }

    /// A limit as v2 writes it: a negative value is `max`.
    static func max(_ v: Int64) -> String { v < 0 ? "max" : "\(v)" }

    /// v1's `cpu.shares` (2 to 262144, 1024 by default) as v2's `cpu.weight` (1 to 10000), runc's conversion.
    public static func weight(shares: UInt64) -> UInt64 {
        let s = Swift.min(Swift.max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }
}
