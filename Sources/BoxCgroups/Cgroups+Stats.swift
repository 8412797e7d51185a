#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// What `box stats` reads from a container's cgroup.
public struct CgroupStats: Sendable, Equatable {
    /// CPU time of all the cgroup's tasks, in nanoseconds.
    public var cpuNanos: UInt64 = 0
    /// Memory charged to the cgroup, page cache included.
    public var memoryUsage: UInt64 = 0
    /// Page cache not recently used (`total_inactive_file` on v1, `inactive_file` on v2).
    public var inactiveFile: UInt64 = 0
    /// The memory limit; nil when there is none.
    public var memoryLimit: UInt64?
    /// Tasks in the cgroup.
    public var pids: UInt64 = 0
    /// Bytes read from and written to block devices.
    public var blockRead: UInt64 = 0
    public var blockWrite: UInt64 = 0

    public init() {}

    /// Usage as Docker reports it: without the inactive page cache.
    public var memoryUsedNoCache: UInt64 { inactiveFile < memoryUsage ? memoryUsage - inactiveFile : memoryUsage }
}

extension CgroupV1 {
    public func stats(_ path: String) -> CgroupStats {
        var s = CgroupStats()
        let at = { (c: String, f: String) -> String in (controllerRoot(c) ?? "\(root)/\(c)") + "/\(path)/\(f)" }
        s.cpuNanos = UInt64(readControl(at("cpuacct", "cpuacct.usage"))) ?? 0
        s.memoryUsage = UInt64(readControl(at("memory", "memory.usage_in_bytes"))) ?? 0
        // v1 reports "no limit" as the largest page-aligned value
        if let limit = UInt64(readControl(at("memory", "memory.limit_in_bytes"))), limit < 1 << 62 { s.memoryLimit = limit }
        s.inactiveFile = Cgroups.keyed(at("memory", "memory.stat"))["total_inactive_file"] ?? 0
        s.pids = UInt64(readControl(at("pids", "pids.current"))) ?? 0
        (s.blockRead, s.blockWrite) = Cgroups.blkioBytes(at("blkio", "blkio.throttle.io_service_bytes"))
        return s
    }
}

extension CgroupV2 {
    public func stats(_ path: String) -> CgroupStats {
        var s = CgroupStats()
        let dir = "\(root)/\(path)"
        s.cpuNanos = (Cgroups.keyed(dir + "/cpu.stat")["usage_usec"] ?? 0) * 1000
        s.memoryUsage = UInt64(readControl(dir + "/memory.current")) ?? 0
        s.memoryLimit = UInt64(readControl(dir + "/memory.max"))
        s.inactiveFile = Cgroups.keyed(dir + "/memory.stat")["inactive_file"] ?? 0
        s.pids = UInt64(readControl(dir + "/pids.current")) ?? 0
        (s.blockRead, s.blockWrite) = Cgroups.ioStatBytes(dir + "/io.stat")
        return s
    }
}

extension Cgroups {
    /// A flat-keyed file (`memory.stat`, `cpu.stat`): `key value` per line.
    public static func keyed(_ file: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in lines(file) {
            let f = line.split(separator: " ")
            if f.count == 2, let v = UInt64(f[1]) { out[String(f[0])] = v }
        }
        return out
    }

    /// v1's `blkio.throttle.io_service_bytes`: the `Read` and `Write` lines of every device summed
    /// (Docker's sum; `Sync`, `Async`, `Total` left out).
    public static func blkioBytes(_ file: String) -> (read: UInt64, write: UInt64) {
        var r: UInt64 = 0, w: UInt64 = 0
        for line in lines(file) {
            let f = line.split(separator: " ")
            guard f.count == 3, let v = UInt64(f[2]) else { continue }
            switch f[1].lowercased() {
            case "read": r += v
            case "write": w += v
            default: break
            }
        }
        return (r, w)
    }

    /// v2's `io.stat`: `rbytes=` and `wbytes=` of every device summed.
    public static func ioStatBytes(_ file: String) -> (read: UInt64, write: UInt64) {
        var r: UInt64 = 0, w: UInt64 = 0
        for line in lines(file) {
            for field in line.split(separator: " ") {
                if field.hasPrefix("rbytes=") { r += UInt64(field.dropFirst(7)) ?? 0 }
                if field.hasPrefix("wbytes=") { w += UInt64(field.dropFirst(7)) ?? 0 }
            }
        }
        return (r, w)
    }

    /// The host's CPU time in nanoseconds, as Docker counts it for CPU %: the first seven fields of the `cpu`
    /// line of `/proc/stat` (user to softirq), in clock ticks of 1/100 s.
    public static func systemCPUNanos(procStat: String = "/proc/stat") -> UInt64? {
        guard let line = lines(procStat).first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let ticks = line.split(separator: " ").dropFirst().prefix(7).compactMap { UInt64($0) }.reduce(0, +)
        let hz = UInt64(Swift.max(sysconf(Int32(_SC_CLK_TCK)), 1))
        return ticks * 1_000_000_000 / hz
    }

    /// The host's memory in bytes (`MemTotal` of `/proc/meminfo`): the limit `stats` shows for a container
    /// without one, as Docker does.
    public static func machineMemory(meminfo: String = "/proc/meminfo") -> UInt64 {
        for line in lines(meminfo) where line.hasPrefix("MemTotal:") {
            let f = line.split(separator: " ")
            if f.count >= 2, let kb = UInt64(f[1]) { return kb * 1024 }
        }
        return 0
    }

    /// The lines of a small file; none when it cannot be read.
    static func lines(_ file: String) -> [Substring] {
        guard let bytes = try? Files.read(file) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n")
    }
}
