/// The isolation flags of `run`/`create`, as given: namespaces shared with the host, `--ulimit`, `--sysctl`,
/// `--device`, `--shm-size`, `--oom-score-adj`.
public struct IsolationOptions: Sendable, Codable, Equatable {
    /// `--ipc`: `private` (Docker's default `shareable` is the same here) or `host`.
    public var ipcMode = "private"
    /// `--pid`: `""` (a namespace of its own) or `host`.
    public var pidMode = ""
    /// `--uts`: `""` or `host`.
    public var utsMode = ""
    /// `--cgroupns`: `private` or `host`; nil takes Docker's default for the host's cgroup version
    /// (host on v1, private on v2).
    public var cgroupnsMode: String?
    public var ulimits: [Ulimit] = []
    public var sysctls: [String: String] = [:]
    public var devices: [DeviceMapping] = []
    /// `--shm-size` in bytes; nil is Docker's 64 MiB.
    public var shmSize: Int64?
    public var oomScoreAdj: Int?

    public init() {}

    /// Docker's `/dev/shm` size.
    public static let defaultShmSize: Int64 = 64 << 20
}

/// `--ulimit NAME=SOFT[:HARD]`.
public struct Ulimit: Sendable, Codable, Equatable {
    public var name: String
    public var soft: Int64
    public var hard: Int64

    public init(name: String, soft: Int64, hard: Int64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }
}

/// `--device HOST[:CONTAINER][:PERMISSIONS]`.
public struct DeviceMapping: Sendable, Codable, Equatable {
    public var pathOnHost: String
    public var pathInContainer: String
    /// `rwm` or a part of it.
    public var cgroupPermissions: String

    public init(pathOnHost: String, pathInContainer: String, cgroupPermissions: String) {
        self.pathOnHost = pathOnHost
        self.pathInContainer = pathInContainer
        self.cgroupPermissions = cgroupPermissions
    }
}
