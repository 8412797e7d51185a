import BoxCore
import BoxOCI

/// A container as box stores it: `containers/<id>/container.json`, rewritten atomically under the
/// container directory's lock.
public struct ContainerRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// The image as the user named it.
    public var image: String
    public var imageID: Digest
    public var created: String
    /// What to run, as an OCI runtime spec.
    public var spec: RuntimeSpec
    /// The image's layer directories, top first, as the overlay stacks them.
    public var lowerDirs: [String]
    public var settings: ContainerSettings
    public var state: ContainerState

    public var shortID: String { String(id.prefix(12)) }
}

/// The user's choices that are not part of the runtime spec, kept for `inspect` and `ps`.
public struct ContainerSettings: Codable, Sendable, Equatable {
    public var labels: [String: String]
    public var autoRemove: Bool
    public var networkMode: String
    public var binds: [BindMount]
    public var tmpfs: [String: String]
    public var readOnly: Bool
    public var interactive: Bool
    /// The command and entrypoint as Docker reports them in `Config`.
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var user: String
    public var workingDir: String
    public var env: [String]
    public var stopSignal: String?
    public var capAdd: [String]
    public var capDrop: [String]
    public var cgroupPath: String
    public var cgroupVersion: String
    /// `-t`: the container's stdio is a pseudo-terminal.
    public var tty: Bool = false
    /// `--restart`: `no`, `on-failure`, `always` or `unless-stopped`, with the retry limit of `on-failure:N`.
    public var restartPolicy: RestartPolicy = .no
    /// `--log-driver` (`json-file`, `k8s-file` or `none`) and its `--log-opt` values.
    public var logDriver: String = "json-file"
    public var logOptions: [String: String] = [:]
    /// The health check in force: the image's, replaced by `--health-*` flags; nil for none.
    public var healthcheck: HealthConfig?
    /// `--stop-timeout` in seconds; nil is Docker's 10.
    public var stopTimeout: Int?
    /// `--init`: box's own init runs as PID 1 and forwards signals to the command.
    public var initProcess: Bool = false
    /// The volumes the container mounts (named, anonymous, the image's, `--volumes-from`'s), with the names
    /// anonymous ones were given: `volume rm` refuses these, `rm -v` removes the anonymous ones.
    public var volumes: [VolumeMount] = []
    /// `--mount type=tmpfs`.
    public var tmpfsMounts: [TmpfsMount] = []
    /// `--volumes-from`, as given.
    public var volumesFrom: [String] = []
    /// The resource, security and isolation flags as given, for `inspect`'s `HostConfig` and `box update`.
    public var resources: ResourceOptions?
    public var security: SecurityOptions?
    public var isolation: IsolationOptions?

    public init(labels: [String: String], autoRemove: Bool, networkMode: String, binds: [BindMount], tmpfs: [String: String],
                readOnly: Bool, interactive: Bool, entrypoint: [String]?, cmd: [String]?, user: String, workingDir: String,
                env: [String], stopSignal: String?, capAdd: [String], capDrop: [String], cgroupPath: String,
                cgroupVersion: String) {
        self.labels = labels
        self.autoRemove = autoRemove
        self.networkMode = networkMode
        self.binds = binds
        self.tmpfs = tmpfs
        self.readOnly = readOnly
        self.interactive = interactive
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.user = user
        self.workingDir = workingDir
        self.env = env
        self.stopSignal = stopSignal
        self.capAdd = capAdd
        self.capDrop = capDrop
        self.cgroupPath = cgroupPath
        self.cgroupVersion = cgroupVersion
    }
}

/// Where a container is in its life.
public struct ContainerState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case created, running, paused, restarting, exited
    }

    public var status: Status
    public var pid: Int32
    /// The start time of `pid` (clock ticks since boot), so a reused pid is never mistaken for ours.
    public var pidStartTime: UInt64
    public var exitCode: Int32
    public var startedAt: String?
    public var finishedAt: String?
    public var error: String?
    /// The exit was the OOM killer's (the cgroup's `oom_kill` count rose while the container ran).
    public var oomKilled: Bool = false
    /// The container's monitor (for detached containers): its pid and start time.
    public var monitorPid: Int32 = 0
    public var monitorStartTime: UInt64 = 0
    /// Times the monitor restarted the container under its restart policy.
    public var restartCount: Int = 0
    /// `box stop` or `box kill` ended it: `unless-stopped` and `always` do not restart it.
    public var manuallyStopped: Bool = false
    /// The health check's state, when the container has one.
    public var health: HealthState?

    public static let created = ContainerState(status: .created, pid: 0, pidStartTime: 0, exitCode: 0)

    public init(status: Status, pid: Int32, pidStartTime: UInt64, exitCode: Int32, startedAt: String? = nil,
                finishedAt: String? = nil, error: String? = nil) {
        self.status = status
        self.pid = pid
        self.pidStartTime = pidStartTime
        self.exitCode = exitCode
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
    }
}

/// `--restart`: what the monitor does when the container exits.
public struct RestartPolicy: Codable, Sendable, Equatable {
    /// `no`, `on-failure`, `always` or `unless-stopped`.
    public var name: String
    /// For `on-failure:N`: at most N restarts; 0 is no limit.
    public var maximumRetryCount: Int

    public static let no = RestartPolicy(name: "no", maximumRetryCount: 0)

    public init(name: String, maximumRetryCount: Int) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }

    /// Parses `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`, as Docker does.
    public static func parse(_ s: String) throws(BoxError) -> RestartPolicy {
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first ?? "" {
        case "no", "always", "unless-stopped":
            guard parts.count == 1 else {
                throw BoxError(.invalidArgument, "invalid restart policy '\(s)': maximum retry count cannot be used with restart policy '\(parts[0])'")
            }
            return RestartPolicy(name: parts[0], maximumRetryCount: 0)
        case "on-failure":
            guard parts.count == 2 else { return RestartPolicy(name: "on-failure", maximumRetryCount: 0) }
            guard let n = Int(parts[1]), n >= 0 else { throw BoxError(.invalidArgument, "invalid restart policy '\(s)': maximum retry count must be a positive integer") }
            return RestartPolicy(name: "on-failure", maximumRetryCount: n)
        default:
            throw BoxError(.invalidArgument, "invalid restart policy '\(s)'")
        }
    }
}

/// A health check as an image config or `--health-*` flags give it; durations in nanoseconds (the image format's).
public struct HealthConfig: Codable, Sendable, Equatable {
    /// `["CMD", args…]`, `["CMD-SHELL", command]` or `["NONE"]`.
    public var test: [String]
    public var interval: Int64
    public var timeout: Int64
    public var startPeriod: Int64
    public var retries: Int

    /// The interval in milliseconds, at least 1: the monitor's timer.
    public var intervalMilliseconds: Int32 { Int32(clamping: max(interval / 1_000_000, 1)) }

    public init(test: [String], interval: Int64, timeout: Int64, startPeriod: Int64, retries: Int) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.retries = retries
    }
}

/// `State.Health` as Docker shows it.
public struct HealthState: Codable, Sendable, Equatable {
    /// `starting`, `healthy` or `unhealthy`.
    public var status: String
    public var failingStreak: Int
    /// The last results, oldest first (at most five, as Docker keeps).
    public var log: [HealthResult]

    public init(status: String, failingStreak: Int, log: [HealthResult]) {
        self.status = status
        self.failingStreak = failingStreak
        self.log = log
    }
}

/// One run of a health check.
public struct HealthResult: Codable, Sendable, Equatable {
    public var start: String
    public var end: String
    public var exitCode: Int32
    public var output: String

    public init(start: String, end: String, exitCode: Int32, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = output
    }
}
