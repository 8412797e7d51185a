#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI

// Limits on cgroup v1: each controller's files in its own hierarchy.

extension CgroupV1 {
    /// The hierarchy that holds `controller` (`cpu` is found in a comounted `cpu,cpuacct` too); nil if the
    /// host has none.
    func controllerRoot(_ controller: String) -> String? {
        controllers.first { $0.split(separator: ",").contains(Substring(controller)) }.map { "\(root)/\($0)" }
    }

    public func available(_ controller: String) -> Bool { controllerRoot(controller) != nil }

    public var swapLimitSupported: Bool {
        controllerRoot("memory").map { Files.exists($0 + "/memory.memsw.limit_in_bytes") } ?? false
    }

    public func hostCpuset() -> (cpus: String, mems: String) {
        guard let dir = controllerRoot("cpuset") else { return ("", "") }
        let cpus = readControl(dir + "/cpuset.effective_cpus")
        let mems = readControl(dir + "/cpuset.effective_mems")
        return (cpus.isEmpty ? readControl(dir + "/cpuset.cpus") : cpus, mems.isEmpty ? readControl(dir + "/cpuset.mems") : mems)
    }

    public func apply(_ r: RuntimeSpec.Resources, to path: String) throws(BoxError) {
        if let m = r.memory, Cgroups.controllersNeeded(by: RuntimeSpec.Resources(memory: m)).contains("memory") {
            let dir = try leaf("memory", path)
            if let v = m.reservation { try writeControl(dir + "/memory.soft_limit_in_bytes", "\(v)") }
            try writeMemory(m, dir)
            if let v = m.swappiness { try writeControl(dir + "/memory.swappiness", "\(v)") }
        }
        if let c = r.cpu {
            if c.shares != nil || c.quota != nil || c.period != nil {
                let dir = try leaf("cpu", path)
                if let v = c.shares { try writeControl(dir + "/cpu.shares", "\(v)") }
                try writeBandwidth(quota: c.quota, period: c.period, dir)
            }
            if c.cpus != nil || c.mems != nil {
                let dir = try leaf("cpuset", path)
                if let v = c.cpus { try writeControl(dir + "/cpuset.cpus", v) }
                if let v = c.mems { try writeControl(dir + "/cpuset.mems", v) }
            }
        }
        if let p = r.pids {
            try writeControl(try leaf("pids", path) + "/pids.max", p.limit < 0 ? "max" : "\(p.limit)")
        }
        // the rules in order: the first (deny all) empties the cgroup's list, the rest add to it
        // (one open per run of allow or deny rules: each write is one rule)
        if let rules = r.devices, let base = controllerRoot("devices") {
            var i = rules.startIndex
            while i < rules.endIndex {
                let allow = rules[i].allow
                var lines: [String] = []
                while i < rules.endIndex && rules[i].allow == allow {
                    lines.append(rules[i].cgroupV1Line)
                    i += 1
                }
                try appendControl("\(base)/\(path)/" + (allow ? "devices.allow" : "devices.deny"), lines)
            }
        }
    }

    /// The cgroup's directory in the hierarchy of `controller`; an error names the missing controller.
    private func leaf(_ controller: String, _ path: String) throws(BoxError) -> String {
        guard let base = controllerRoot(controller) else {
            throw BoxError(.notFound, "cgroup controller \"\(controller)\" is not available on this host")
        }
        return "\(base)/\(path)"
    }

    /// `memory.limit_in_bytes` and `memory.memsw.limit_in_bytes` (when the kernel accounts swap), in the order
    /// the kernel accepts: memory+swap may never be below memory, so a raise writes the swap limit first.
    private func writeMemory(_ m: RuntimeSpec.Memory, _ dir: String) throws(BoxError) {
        let limitFile = dir + "/memory.limit_in_bytes", swapFile = dir + "/memory.memsw.limit_in_bytes"
        let swap = Files.exists(swapFile) ? m.swap : nil
        let writeLimit = { () throws(BoxError) in if let v = m.limit { try writeControl(limitFile, "\(v)") } }
        let writeSwap = { () throws(BoxError) in if let v = swap { try writeControl(swapFile, "\(v)") } }
        if m.limit != nil, let s = swap, s == -1 || (Int64(readControl(limitFile)) ?? Int64.max) < s {
            try writeSwap()
            try writeLimit()
        } else {
            try writeLimit()
            try writeSwap()
        }
    }

    /// `cpu.cfs_period_us` then `cpu.cfs_quota_us`; a period the kernel refuses beside the old quota is
    /// written again after the new quota (runc's order).
    private func writeBandwidth(quota: Int64?, period: UInt64?, _ dir: String) throws(BoxError) {
        if let period {
            do throws(BoxError) {
                try writeControl(dir + "/cpu.cfs_period_us", "\(period)")
            } catch {
                guard let quota else { throw error }
                try writeControl(dir + "/cpu.cfs_quota_us", "\(quota)")
                try writeControl(dir + "/cpu.cfs_period_us", "\(period)")
                return
            }
        }
        if let quota { try writeControl(dir + "/cpu.cfs_quota_us", "\(quota)") }
    }
}

extension RuntimeSpec.DeviceRule {
    /// The rule as v1's `devices.allow`/`devices.deny` take it: `c 1:3 rwm`, `a` for all devices.
    public var cgroupV1Line: String {
        let t = type ?? "a"
        if t == "a" { return "a" }
        let major = major.map(String.init) ?? "*", minor = minor.map(String.init) ?? "*"
        return "\(t) \(major):\(minor) \(access ?? "rwm")"
    }
}
