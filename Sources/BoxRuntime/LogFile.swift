#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

/// The open log file of a container, as its relay writes it (`--log-driver json-file` or `k8s-file`).
public final class LogFile {
    let log: UnsafeMutablePointer<box_log>

    /// Opens the log of `r` for appending; nil with `--log-driver none`.
    public init?(_ r: ContainerRecord, store: ContainerStore) throws(BoxError) {
        guard let format = Self.format(r.settings.logDriver) else { return nil }
        let opts = r.settings.logOptions
        let maxSize = try opts["max-size"].map { (s) throws(BoxError) in try LogOptions.size(s) } ?? 0
        let maxFiles = Int32(opts["max-file"].flatMap { Int($0) } ?? 1)
        log = .allocate(capacity: 1)
        let path = store.logPath(r.id)
        if box_log_open(log, path, format, maxSize, maxFiles) != 0 {
            let e = errno
            log.deallocate()
            throw BoxError.sys("open log", path, errno: e)
        }
    }

    /// The C writer's format for a log driver; nil for `none`.
    static func format(_ driver: String) -> Int32? {
        switch driver {
        case "json-file": Int32(BOX_LOG_JSON)
        case "k8s-file": Int32(BOX_LOG_K8S)
        default: nil
        }
    }

    /// The relay's view: its `log` and `log_fn` fields.
    func attach(to relay: inout box_relay) {
        relay.log = UnsafeMutableRawPointer(log)
        relay.log_fn = { ctx, stream, buf, n in
            box_log_write(ctx!.assumingMemoryBound(to: box_log.self), stream, buf, n)
        }
    }

    deinit {
        box_log_close(log)
        log.deallocate()
    }
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
