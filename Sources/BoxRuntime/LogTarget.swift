#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

/// Where and how a container's relay writes its log: the driver's format and the `--log-opt` limits.
public struct LogTarget: Sendable {
    public var path: String
    public var format: LogFormat
    public var maxSize: Int64
    public var maxFiles: Int

    /// The log of `r`; nil with `--log-driver none`.
    public init?(_ r: ContainerRecord, store: ContainerStore) throws(BoxError) {
        guard let format = LogFormat(driver: r.settings.logDriver) else { return nil }
        let opts = r.settings.logOptions
        self.path = store.logPath(r.id)
        self.format = format
        maxSize = try opts["max-size"].map { (s) throws(BoxError) in try LogOptions.size(s) } ?? 0
        maxFiles = opts["max-file"].flatMap { Int($0) } ?? 1
    }

    /// Opens it for appending.
    public func open() throws(BoxError) -> LogWriter {
        try LogWriter(path: path, format: format, maxSize: maxSize, maxFiles: maxFiles)
    }

    /// The monitor loop's argument: `format:max_size:max_files:path` (`CBox/monitor.c`).
    var loopArgument: String { "\(format.cValue):\(maxSize):\(maxFiles):\(path)" }
}

/// Checking `--log-driver` and `--log-opt` as Docker does.
public enum LogOptions {
    public static let drivers = ["json-file", "k8s-file", "none"]

    /// Validates a driver and its options; returns the options as a map.
    public static func parse(driver: String, options: [String]) throws(BoxError) -> [String: String] {
        guard drivers.contains(driver) else {
            throw BoxError(.invalidArgument, "failed to create container: logger: no log driver named '\(driver)' is registered")
        }
        var out: [String: String] = [:]
        for o in options {
            let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw BoxError(.invalidArgument, "invalid key value pair format in log options: \(o)") }
            switch kv[0] {
            case "max-size": _ = try size(kv[1])
            case "max-file":
                guard let n = Int(kv[1]), n >= 1 else { throw BoxError(.invalidArgument, "max-file cannot be less than 1") }
            case "path", "tag", "labels", "env", "mode", "compress": break
            default: throw BoxError(.invalidArgument, "unknown log opt '\(kv[0])' for \(driver) log driver")
            }
            out[kv[0]] = kv[1]
        }
        if driver == "none" && !out.isEmpty { throw BoxError(.invalidArgument, "the none log driver takes no options") }
        return out
    }

    /// `10m`, `1g`, `512k`, `100` (bytes), as Docker's `max-size`.
    public static func size(_ s: String) throws(BoxError) -> Int64 {
        let lower = s.lowercased()
        var digits = lower
        var mult: Int64 = 1
        for (suffix, m) in [("kb", 1024), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1024), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)] as [(String, Int64)]
        where lower.hasSuffix(suffix) {
            digits = String(lower.dropLast(suffix.count))
            mult = m
            break
        }
        guard let n = Int64(digits), n > 0 else { throw BoxError(.invalidArgument, "invalid max-size \"\(s)\": use a size like 10m") }
        return n * mult
    }
}
