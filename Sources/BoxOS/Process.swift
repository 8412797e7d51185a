#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// Facts about processes, read from /proc.
public enum ProcessInfo {
    /// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or nil if it is gone.
    /// A pid with its start time names one process even after the pid is reused.
    public static func startTime(_ pid: Int32) -> UInt64? {
        guard let bytes = try? Files.read("/proc/\(pid)/stat") else { return nil }
        // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // rest[0] is field 3 (state): field 22 is rest[19]
        guard rest.count > 19 else { return nil }
        return UInt64(String(decoding: rest[19], as: UTF8.self))
    }

    /// Whether the process `pid` that started at `startTime` is still alive (and not a zombie).
    public static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, let now = Self.startTime(pid), now == startTime else { return false }
        guard let bytes = try? Files.read("/proc/\(pid)/stat"),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), close + 2 < bytes.count else { return false }
        return bytes[close + 2] != UInt8(ascii: "Z")
    }
}
