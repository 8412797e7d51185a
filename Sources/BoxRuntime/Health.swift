import BoxCore
import BoxOCI

/// The `--health-*` flags of `run` and `create`.
public struct HealthFlags: Sendable {
    public var cmd: String?
    public var interval: String?
    public var timeout: String?
    public var startPeriod: String?
    public var retries: Int?
    public var none = false

    public init() {}

    /// Docker's defaults: every 30 s, 30 s to answer, 3 failures in a row make it unhealthy.
    public static let defaultInterval: Int64 = 30_000_000_000
    public static let defaultTimeout: Int64 = 30_000_000_000
    public static let defaultRetries = 3

    /// The check in force: the image's, with what the flags replace; nil for none.
    public func apply(to image: Healthcheck?) throws(BoxError) -> HealthConfig? {
        if none {
            if cmd != nil { throw BoxError(.invalidArgument, "--no-healthcheck conflicts with --health-* options") }
            return nil
        }
        var test = image?.Test ?? []
        if let cmd { test = ["CMD-SHELL", cmd] }
        if test.isEmpty || test.first == "NONE" { return nil }
        if test.first != "CMD" && test.first != "CMD-SHELL" {
            throw BoxError(.invalidArgument, "unknown health check type \(test.first ?? ""): use CMD, CMD-SHELL or NONE")
        }
        func duration(_ flag: String, _ s: String?, _ image: Int64?, _ fallback: Int64) throws(BoxError) -> Int64 {
            if let s {
                guard let ns = Time.parseDuration(s) else {
                    throw BoxError(.invalidArgument, "invalid duration \"\(s)\" for \(flag): use a number and a unit, like 30s or 1m30s")
                }
                if ns < 0 { throw BoxError(.invalidArgument, "\(flag) cannot be negative") }
                if ns != 0 && ns < 1_000_000 { throw BoxError(.invalidArgument, "\(flag) must be at least 1ms") }
                if ns != 0 { return ns }
            }
            if let image, image > 0 { return image }
            return fallback
        }
        if let retries, retries < 0 { throw BoxError(.invalidArgument, "--health-retries cannot be negative") }
        return HealthConfig(
            test: test,
            interval: try duration("--health-interval", interval, image?.Interval, Self.defaultInterval),
            timeout: try duration("--health-timeout", timeout, image?.Timeout, Self.defaultTimeout),
            startPeriod: try duration("--health-start-period", startPeriod, image?.StartPeriod, 0),
            retries: retries.flatMap { $0 > 0 ? $0 : nil } ?? image?.Retries.flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultRetries)
    }
}
