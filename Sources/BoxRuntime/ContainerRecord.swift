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
        case created, running, exited
    }

    public var status: Status
    public var pid: Int32
    /// The start time of `pid` (clock ticks since boot), so a reused pid is never mistaken for ours.
    public var pidStartTime: UInt64
    public var exitCode: Int32
    public var startedAt: String?
    public var finishedAt: String?
    public var error: String?

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
