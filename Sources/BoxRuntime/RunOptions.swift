import BoxCore

/// What a user asked for with `box run`/`box create`, parsed but not yet applied to an image.
public struct RunOptions: Sendable {
    public var name: String?
    public var command: [String] = []
    /// `--entrypoint`: nil keeps the image's; `""` clears it.
    public var entrypoint: String?
    /// `-e` values, `KEY=VALUE` (a bare `KEY` was already resolved from the caller's environment).
    public var env: [String] = []
    public var workdir: String?
    public var user: String?
    public var hostname: String?
    public var binds: [BindMount] = []
    /// `--tmpfs` destination and options.
    public var tmpfs: [(String, String)] = []
    public var readOnly = false
    public var interactive = false
    public var labels: [String: String] = [:]
    /// `none` or `host`.
    public var network = "none"
    public var autoRemove = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    /// `-t`.
    public var tty = false
    public var restartPolicy = RestartPolicy.no
    public var logDriver = "json-file"
    public var logOptions: [String: String] = [:]
    /// `--init`.
    public var initProcess = false
    /// `--stop-signal` and `--stop-timeout`.
    public var stopSignal: String?
    public var stopTimeout: Int?
    /// `--health-*`: what replaces parts of the image's health check.
    public var health = HealthFlags()

    public init() {}
}

/// A bind mount from `-v /host:/ctr[:ro]` or `--mount type=bind,…`.
public struct BindMount: Sendable, Equatable, Codable {
    public var source: String
    public var destination: String
    public var readOnly: Bool

    public init(source: String, destination: String, readOnly: Bool) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
    }

    /// Docker's `HostConfig.Binds` form: `SRC:DST[:ro]`.
    public var spec: String { "\(source):\(destination)\(readOnly ? ":ro" : "")" }

    /// Parses `-v SRC:DST[:OPTS]`; SRC must be an absolute host path (named volumes are not supported yet).
    public static func parseVolume(_ s: String) throws(BoxError) -> BindMount {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.count <= 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw BoxError(.invalidArgument, "invalid volume specification: \"\(s)\"")
        }
        guard parts[0].hasPrefix("/") else {
            throw BoxError(.invalidArgument, "invalid volume specification: \"\(s)\": named volumes are not supported yet; use an absolute host path")
        }
        guard parts[1].hasPrefix("/") else {
            throw BoxError(.invalidArgument, "invalid volume specification: \"\(s)\": container path must be absolute")
        }
        var ro = false
        if parts.count == 3 {
            for o in parts[2].split(separator: ",") {
                switch o {
                case "ro": ro = true
                case "rw", "z", "Z", "rprivate", "private": break
                default: throw BoxError(.invalidArgument, "invalid volume specification: \"\(s)\": unknown option \"\(o)\"")
                }
            }
        }
        return BindMount(source: parts[0], destination: parts[1], readOnly: ro)
    }

    /// Parses `--mount type=bind,source=…,target=…[,readonly]`.
    public static func parseMount(_ s: String) throws(BoxError) -> BindMount {
        var type = "volume", src: String?, dst: String?, ro = false
        for field in s.split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            let key = kv[0], value = kv.count > 1 ? kv[1] : nil
            switch key {
            case "type": type = value ?? ""
            case "source", "src": src = value
            case "target", "destination", "dst": dst = value
            case "readonly", "ro": ro = value.map { $0 == "true" || $0 == "1" } ?? true
            case "bind-propagation", "consistency": break
            default: throw BoxError(.invalidArgument, "invalid argument \"\(s)\" for \"--mount\" flag: unexpected key '\(key)' in '\(field)'")
            }
        }
        guard type == "bind" else {
            throw BoxError(.invalidArgument, "invalid argument \"\(s)\" for \"--mount\" flag: type \"\(type)\" is not supported yet")
        }
        guard let src, src.hasPrefix("/") else { throw BoxError(.invalidArgument, "invalid mount config: bind source must be an absolute path") }
        guard let dst, dst.hasPrefix("/") else { throw BoxError(.invalidArgument, "invalid mount config: target must be an absolute path") }
        return BindMount(source: src, destination: dst, readOnly: ro)
    }
}
