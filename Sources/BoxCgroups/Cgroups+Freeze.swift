#if canImport(Glibc)
import Glibc
#endif
import BoxCore

// The freezer (`pause`/`unpause`), the process list (`top`), killing what is left, and the OOM count, shared by both backends.

extension CgroupBackend {
    /// The pids in the cgroup (its `cgroup.procs`; on v1 the first controller directory that has one).
    public func processes(_ path: String) -> [Int32] {
        for d in directories(path) {
            guard let bytes = try? Files.read(d + "/cgroup.procs") else { continue }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        }
        return []
    }

    /// Kills every process left in the cgroup, as runc does when a container's main process ends: v2's
    /// `cgroup.kill` where the kernel has it, else SIGKILL to each pid of `cgroup.procs` until none is left.
    /// Only a container that shares the host's pid namespace can leave processes behind its PID 1.
    public func killAll(_ path: String) {
        for d in directories(path) where Files.exists(d + "/cgroup.kill") {
            if (try? writeControl(d + "/cgroup.kill", "1")) != nil { return }
        }
        for _ in 0..<500 {
            let pids = processes(path)
            if pids.isEmpty { return }
            for p in pids { kill(p, SIGKILL) }
            usleep(2000)
        }
    }

    /// The OOM killer's kills in the cgroup: `oom_kill` of v1's `memory.oom_control` or v2's `memory.events`.
    public func oomKills(_ path: String) -> Int {
        var total = 0
        for dir in directories(path) {
            for file in ["memory.oom_control", "memory.events"] {
                guard let bytes = try? Files.read(dir + "/" + file) else { continue }
                for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                    let f = line.split(separator: " ")
                    if f.count == 2, f[0] == "oom_kill", let n = Int(f[1]) { total += n }
                }
            }
        }
        return total
    }
}

/// Writes `value` to `control` until `ready` says the kernel has reached the state, for at most `timeout` seconds.
/// Writing again is harmless and, for v1's `FREEZING`, is how a freeze is pushed on.
func driveFreezer(_ control: String, _ value: String, what: String, timeout: Double,
                  ready: () -> Bool) throws(BoxError) {
    guard Files.exists(control) else { throw BoxError(.notFound, "\(what): \(control) is missing: the freezer is not available") }
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    let start = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    var pause: UInt32 = 100
    while true {
        try writeControl(control, value)
        if ready() { return }
        clock_gettime(CLOCK_MONOTONIC, &ts)
        if Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 - start >= timeout {
            throw BoxError(.system, "\(what): timed out")
        }
        usleep(pause)
        pause = min(pause * 2, 10_000)
    }
}

/// The text of a small control file without its trailing newline, or "" when it cannot be read.
func readControl(_ path: String) -> String {
    guard let bytes = try? Files.read(path) else { return "" }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
}
