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
    /// Host directories and files: `-v /host:/ctr`, `--mount type=bind`, and what `--volumes-from` copies.
    public var binds: [BindMount] = []
    /// Named and anonymous volumes: `-v NAME:/ctr`, `-v /ctr`, `--mount type=volume`; the image's `VOLUME`s and
    /// `--volumes-from` are added when the container is created.
    public var volumes: [VolumeMount] = []
    /// `--volumes-from CONTAINER[:ro|:rw]`.
    public var volumesFrom: [String] = []
    /// `--tmpfs` destination and options.
    public var tmpfs: [(String, String)] = []
    /// `--mount type=tmpfs`.
    public var tmpfsMounts: [TmpfsMount] = []
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
    /// Cgroup limits: `--memory`, `--cpus`, `--pids-limit`, … (`RunOptions+Resources.swift`).
    public var resources = ResourceOptions()
    /// Capabilities, seccomp, `--privileged`, `--security-opt` (`RunOptions+Security.swift`).
    public var security = SecurityOptions()
    /// Namespaces shared with the host, `--ulimit`, `--sysctl`, `--device`, `--shm-size`, `--oom-score-adj`
    /// (`RunOptions+Isolation.swift`).
    public var isolation = IsolationOptions()

    public init() {}
}

/// Where a mount of a container came from: it decides where `inspect` reports it, as Docker does.
public enum MountOrigin: String, Sendable, Codable {
    /// `-v`: in `HostConfig.Binds` (a named volume or host path) or `Config.Volumes` (`-v /path`).
    case volumeFlag
    /// `--mount`: in `HostConfig.Mounts`.
    case mountFlag
    /// The image's `VOLUME`: in `Config.Volumes`.
    case image
    /// `--volumes-from`: only in `Mounts`.
    case volumesFrom
}

/// A bind mount of a host path: `-v /host:/ctr[:OPTS]`, `--mount type=bind,…`.
public struct BindMount: Sendable, Equatable, Codable {
    public var source: String
    public var destination: String
    public var readOnly: Bool
    /// Docker's `Mode`: the `-v` options as given (`ro`, `rw,z`, …); empty for `--mount`.
    public var mode: String?
    /// Where it came from; nil (older records) is `-v`.
    public var origin: MountOrigin?

    public init(source: String, destination: String, readOnly: Bool, mode: String? = nil, origin: MountOrigin? = nil) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
        self.mode = mode
        self.origin = origin
    }

    /// Docker's `HostConfig.Binds` form: `SRC:DST[:MODE]`.
    public var spec: String {
        let m = mode ?? (readOnly ? "ro" : "")
        return "\(source):\(destination)\(m.isEmpty ? "" : ":" + m)"
    }
}

/// A volume mounted into a container: named (`-v NAME:/ctr`, `--mount source=NAME,…`) or anonymous
/// (`-v /ctr`, `--mount` without a source, an image's `VOLUME`). The data is `volumes/<name>/_data`.
public struct VolumeMount: Sendable, Equatable, Codable {
    /// The volume; an anonymous one's random 64-hex name is drawn when the container is created.
    public var name: String
    public var destination: String
    public var readOnly: Bool
    public var anonymous: Bool
    /// `nocopy`, `volume-nocopy`: never fill the volume from the image.
    public var noCopy: Bool
    /// Docker's `Mode`: the `-v` options, `z` when a named `-v` has none, empty for `--mount` and anonymous ones.
    public var mode: String
    public var origin: MountOrigin
    /// `volume-label` and `volume-opt` of `--mount`: used only if this container creates the volume.
    public var labels: [String: String]?
    public var options: [String: String]?

    public init(name: String, destination: String, readOnly: Bool = false, anonymous: Bool = false, noCopy: Bool = false,
                mode: String = "", origin: MountOrigin, labels: [String: String]? = nil, options: [String: String]? = nil) {
        self.name = name
        self.destination = destination
        self.readOnly = readOnly
        self.anonymous = anonymous
        self.noCopy = noCopy
        self.mode = mode
        self.origin = origin
        self.labels = labels
        self.options = options
    }

    /// Docker's `HostConfig.Binds` form of a named `-v`: `NAME:DST[:MODE]`.
    public var spec: String {
        let m = mode == "z" ? "" : mode
        return "\(name):\(destination)\(m.isEmpty ? "" : ":" + m)"
    }
}

/// `--mount type=tmpfs,…`: a tmpfs with Docker's `--mount` defaults (no size limit unless `tmpfs-size`).
public struct TmpfsMount: Sendable, Equatable, Codable {
    public var destination: String
    public var readOnly: Bool
    public var sizeBytes: Int64?
    /// Permission bits, `tmpfs-mode` (octal).
    public var mode: UInt32?

    public init(destination: String, readOnly: Bool = false, sizeBytes: Int64? = nil, mode: UInt32? = nil) {
        self.destination = destination
        self.readOnly = readOnly
        self.sizeBytes = sizeBytes
        self.mode = mode
    }

    /// The mount options, as Docker's daemon builds them: `noexec,nosuid,nodev`, then `ro`, `mode=`, `size=`.
    public var options: [String] {
        var o = ["noexec", "nosuid", "nodev", readOnly ? "ro" : "rw"]
        if let mode { o.append("mode=" + String(mode, radix: 8)) }
        if let sizeBytes {
            var size = sizeBytes, suffix = ""
            for (s, d) in [("g", Int64(1) << 30), ("m", Int64(1) << 20), ("k", Int64(1) << 10)] where size % d == 0 {
                size /= d
                suffix = s
                break
            }
            o.append("size=\(size)\(suffix)")
        }
        return o
    }
}
