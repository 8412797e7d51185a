import BoxCore

/// A volume as box stores it, `volumes/<name>/volume.json`, in Docker's field names (`box volume inspect` shows it).
public struct Volume: Codable, Sendable, Equatable {
    public var Name: String
    /// Always `local`: the data is a directory on this host (or what `--opt type=…,device=…` mounts).
    public var Driver = "local"
    /// The data directory, `volumes/<name>/_data`.
    public var Mountpoint: String
    /// RFC 3339, seconds: Docker's form.
    public var CreatedAt: String
    /// nil for a volume a container created by naming it (Docker shows `null`).
    public var Labels: [String: String]?
    /// The local driver's `--opt` values: `type`, `device`, `o`.
    public var Options: [String: String]?
    public var Scope = "local"
    /// Made without a name: by `-v /path`, an image's `VOLUME`, or `volume create` with no name.
    /// `volume prune` removes only these unless `-a`; `rm -v` removes a container's.
    public var Anonymous: Bool
    /// The volume has held data when a container mounted it, so copy-up never fills it (again).
    public var Populated = false

    /// Docker's label on anonymous volumes.
    public static let anonymousLabel = "com.docker.volume.anonymous"

    public init(name: String, mountpoint: String, createdAt: String, labels: [String: String]?,
                options: [String: String]?, anonymous: Bool) {
        Name = name
        Mountpoint = mountpoint
        CreatedAt = createdAt
        Labels = labels
        Options = options
        Anonymous = anonymous
    }

    /// Whether the local driver mounts something for it (`--opt type=…`) rather than using the directory.
    public var isMounted: Bool { !(Options ?? [:]).isEmpty }
}

/// Docker's rules for volume names and the local driver's options.
public enum VolumeName {
    /// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, as Docker's local driver checks it.
    public static func validate(_ name: String) throws(BoxError) {
        let u = Array(name.utf8)
        let alnum = { (c: UInt8) in (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        if u.count == 1 {
            throw BoxError(.invalidArgument, "create \(name): volume name is too short, names should be at least two alphanumeric characters")
        }
        guard u.count >= 2, alnum(u[0]), u.allSatisfy({ alnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }) else {
            throw BoxError(.invalidArgument, "create \(name): \"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
        }
    }

    /// The local driver's options: `type`, `device`, `o`, each needing the others as Docker's driver requires.
    public static func validateOptions(_ opts: [String: String], volume name: String) throws(BoxError) {
        for key in opts.keys.sorted() where !["type", "device", "o"].contains(key) {
            throw BoxError(.invalidArgument, "create \(name): invalid option key: \"\(key)\"")
        }
        let needs: [(String, [String])] = [("device", ["type"]), ("type", ["device"]), ("o", ["device", "type"])]
        for (opt, required) in needs where opts[opt] != nil {
            for r in required where opts[r] == nil {
                throw BoxError(.invalidArgument, "create \(name): missing required option: \"\(r)\"")
            }
        }
    }
}
