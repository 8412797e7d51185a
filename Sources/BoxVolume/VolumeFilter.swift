import BoxCore

/// Docker's `--filter KEY=VALUE` for `volume ls` (`name`, `label`, `dangling`, `driver`) and `volume prune`
/// (`label`, `label!`, `all`). Values of one key: `name` and `driver` any-of, `label` all-of, `label!` none-of.
public struct VolumeFilter: Sendable, Equatable {
    /// Substrings of the name.
    public var names: [String] = []
    public var drivers: [String] = []
    /// `KEY` or `KEY=VALUE`: a volume must have all of them.
    public var labels: [String] = []
    /// `KEY` or `KEY=VALUE`: a volume must have none of them.
    public var notLabels: [String] = []
    /// Only volumes no container uses (`true`), or only used ones (`false`).
    public var dangling: Bool?
    /// `prune`: every unused volume, not only anonymous ones.
    public var all: Bool?

    public static let listKeys: Set<String> = ["name", "label", "dangling", "driver"]
    public static let pruneKeys: Set<String> = ["label", "label!", "all"]

    public init() {}

    /// Parses `--filter` values, refusing keys outside `allowed` with Docker's messages.
    public init(_ args: [String], allowed: Set<String>) throws(BoxError) {
        for arg in args {
            guard let eq = arg.firstIndex(of: "=") else {
                throw BoxError(.invalidArgument, "invalid argument \"\(arg)\" for \"--filter\" flag: bad format of filter (expected name=value)")
            }
            let key = String(arg[..<eq]).lowercased()
            let value = String(arg[arg.index(after: eq)...])
            guard allowed.contains(key) else { throw BoxError(.invalidArgument, "invalid filter '\(key)'") }
            switch key {
            case "name": names.append(value)
            case "driver": drivers.append(value)
            case "label": labels.append(value)
            case "label!": notLabels.append(value)
            case "dangling", "all":
                guard let b = VolumeFilter.bool(value) else { throw BoxError(.invalidArgument, "invalid filter '\(key)=\(value)'") }
                if key == "all" {
                    if all != nil { throw BoxError(.invalidArgument, "invalid filter 'all=\(value)': only one value is expected") }
                    all = b
                } else {
                    dangling = (dangling ?? false) || b
                }
            default: break
            }
        }
    }

    /// Whether a volume passes; `used` tells whether any container uses it.
    public func matches(_ v: Volume, used: Bool) -> Bool {
        if !names.isEmpty && !names.contains(where: { $0.isEmpty || v.Name.contains($0) }) { return false }
        if !drivers.isEmpty && !drivers.contains(v.Driver) { return false }
        let have = v.Labels ?? [:]
        func has(_ want: String) -> Bool {
            guard let eq = want.firstIndex(of: "=") else { return have[want] != nil }
            return have[String(want[..<eq])] == String(want[want.index(after: eq)...])
        }
        if !labels.allSatisfy(has) || notLabels.contains(where: has) { return false }
        if let dangling, dangling == used { return false }
        return true
    }

    /// Go's `strconv.ParseBool`.
    public static func bool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }
}

extension VolumeStore {
    /// `volume prune`: removes every volume no container uses that passes `filter`, only anonymous ones unless
    /// `all` (Docker 23+), never one with mount options (there is nothing to reclaim). Returns names and sizes.
    public func prune(all: Bool, filter: VolumeFilter, users: () throws(BoxError) -> [String: [String]])
        throws(BoxError) -> [(String, Int64)] {
        let used = try users()
        let doomed = try list().filter { v in
            (used[v.Name] ?? []).isEmpty && !v.isMounted && (all || filter.all == true || v.Anonymous) && filter.matches(v, used: false)
        }.map(\.Name)
        // `remove` checks each again under the lock: a container may have taken one meanwhile
        return try remove(doomed, force: true, users: users).compactMap { name, r in
            if case .success(let size) = r { return (name, size) }
            return nil
        }
    }
}
