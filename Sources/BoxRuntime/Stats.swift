#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore

/// One reading of a container's counters, at one moment.
public struct StatsSample: Sendable {
    public var id: String
    public var name: String
    /// Running or paused: it has a process and a cgroup.
    public var running: Bool
    public var cgroup: CgroupStats
    /// The host's CPU time when this was read (Docker's `system_cpu_usage`), ns.
    public var systemNanos: UInt64
    public var netRx: UInt64
    public var netTx: UInt64
}

/// A container's usage as `box stats` reports it, computed as Docker's CLI does.
public struct ContainerUsage: Sendable, Equatable {
    public var id: String
    public var name: String
    public var running: Bool
    /// CPU use since the previous reading; 100 is one CPU.
    public var cpuPercent: Double
    /// All CPU time used, s.
    public var cpuSeconds: Double
    /// Memory in use without the inactive page cache, and the limit (the host's memory when none).
    public var memoryUsage: UInt64
    public var memoryLimit: UInt64
    public var memoryPercent: Double
    public var netRx: UInt64
    public var netTx: UInt64
    public var blockRead: UInt64
    public var blockWrite: UInt64
    public var pids: UInt64
}

/// Reads the counters of containers and turns two readings into usage.
public struct StatsReader: Sendable {
    public let cgroups: any CgroupBackend
    public let onlineCPUs: Int
    public let machineMemory: UInt64

    public init(cgroups: any CgroupBackend, onlineCPUs: Int = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                machineMemory: UInt64 = Cgroups.machineMemory()) {
        self.cgroups = cgroups
        self.onlineCPUs = onlineCPUs
        self.machineMemory = machineMemory
    }

    /// Reads `r`'s cgroup, and its network counters from its process's `/proc/PID/net/dev`; a stopped
    /// container reads as zeros.
    public func sample(_ r: ContainerRecord) -> StatsSample {
        let running = (r.state.status == .running || r.state.status == .paused) && r.state.pid > 0
        var s = StatsSample(id: r.id, name: r.name, running: running, cgroup: CgroupStats(), systemNanos: Cgroups.systemCPUNanos() ?? 0,
                            netRx: 0, netTx: 0)
        guard running else { return s }
        s.cgroup = cgroups.stats(r.settings.cgroupPath)
        // the host's network is not the container's to count (Docker shows 0B / 0B there too)
        if r.settings.networkMode != "host", let text = try? Files.read("/proc/\(r.state.pid)/net/dev") {
            (s.netRx, s.netTx) = Self.netDev(String(decoding: text, as: UTF8.self))
        }
        return s
    }

    /// Docker's arithmetic: CPU % is the container's CPU time over the host's in the same interval, times the
    /// online CPUs; memory is usage without inactive file pages, over the limit or the host's memory.
    public func usage(_ s: StatsSample, previous p: StatsSample?) -> ContainerUsage {
        var u = ContainerUsage(id: s.id, name: s.name, running: s.running, cpuPercent: 0, cpuSeconds: Double(s.cgroup.cpuNanos) / 1e9,
                               memoryUsage: 0, memoryLimit: 0, memoryPercent: 0, netRx: s.netRx, netTx: s.netTx,
                               blockRead: s.cgroup.blockRead, blockWrite: s.cgroup.blockWrite, pids: s.cgroup.pids)
        guard s.running else { return u }
        if let p, p.running, s.cgroup.cpuNanos > p.cgroup.cpuNanos, s.systemNanos > p.systemNanos {
            let cpu = Double(s.cgroup.cpuNanos - p.cgroup.cpuNanos), system = Double(s.systemNanos - p.systemNanos)
            u.cpuPercent = cpu / system * Double(onlineCPUs) * 100
        }
        u.memoryUsage = s.cgroup.memoryUsedNoCache
        let limit = s.cgroup.memoryLimit ?? UInt64.max
        u.memoryLimit = machineMemory > 0 && limit > machineMemory ? machineMemory : limit
        if u.memoryLimit > 0 && u.memoryLimit != UInt64.max { u.memoryPercent = Double(u.memoryUsage) / Double(u.memoryLimit) * 100 }
        return u
    }

    /// Received and sent bytes of `/proc/PID/net/dev`, summed over the interfaces but loopback.
    public static func netDev(_ text: String) -> (rx: UInt64, tx: UInt64) {
        var rx: UInt64 = 0, tx: UInt64 = 0
        for line in text.split(separator: "\n").dropFirst(2) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: " ")
            let f = line[line.index(after: colon)...].split(separator: " ")
            guard name != "lo", f.count >= 9 else { continue }
            rx += UInt64(f[0]) ?? 0
            tx += UInt64(f[8]) ?? 0
        }
        return (rx, tx)
    }
}

extension Substring {
    /// Without the given character at either end.
    fileprivate func trimmingCharacters(in c: Character) -> Substring {
        var s = self
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return s
    }
}
