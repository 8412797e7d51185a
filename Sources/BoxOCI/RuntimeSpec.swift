/// The parts of the OCI runtime spec box produces: what a container is, before it starts.
public struct RuntimeSpec: Codable, Hashable, Sendable {
    public var ociVersion = "1.0.2"
    public var process: Process
    public var root: Root
    public var hostname: String?
    public var mounts: [Mount]
    public var linux: Linux

    public init(process: Process, root: Root, hostname: String?, mounts: [Mount], linux: Linux) {
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.linux = linux
    }

    public struct Process: Codable, Hashable, Sendable {
        public var terminal: Bool
        public var user: User
        public var args: [String]
        public var env: [String]
        public var cwd: String
        public var capabilities: Capabilities
        public var noNewPrivileges: Bool
        /// `--ulimit`: the process's resource limits.
        public var rlimits: [POSIXRlimit]?
        /// `--oom-score-adj`.
        public var oomScoreAdj: Int?

        public init(terminal: Bool = false, user: User, args: [String], env: [String], cwd: String,
                    capabilities: Capabilities, noNewPrivileges: Bool = false) {
            self.terminal = terminal
            self.user = user
            self.args = args
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.noNewPrivileges = noNewPrivileges
        }
    }

    public struct User: Codable, Hashable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]?

        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32]? = nil) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
        }
    }

    /// Capability names, `CAP_CHOWN` style.
    public struct Capabilities: Codable, Hashable, Sendable {
        public var bounding: [String]
        public var effective: [String]
        public var permitted: [String]

        public init(bounding: [String], effective: [String], permitted: [String]) {
            self.bounding = bounding
            self.effective = effective
            self.permitted = permitted
        }
    }

    public struct Root: Codable, Hashable, Sendable {
        public var path: String
        public var readonly: Bool

        public init(path: String, readonly: Bool) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Codable, Hashable, Sendable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?

        public init(destination: String, type: String?, source: String?, options: [String]?) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    public struct Namespace: Codable, Hashable, Sendable {
        public var type: String
        public var path: String?

        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    public struct Linux: Codable, Hashable, Sendable {
        public var namespaces: [Namespace]
        public var maskedPaths: [String]
        public var readonlyPaths: [String]
        public var cgroupsPath: String?
        /// The cgroup limits (`--memory`, `--cpus`, `--pids-limit`, …) and device rules.
        public var resources: Resources?
        /// `--sysctl`: namespaced kernel parameters, `net.ipv4.ip_forward` style.
        public var sysctl: [String: String]?
        /// `--device` and, with `--privileged`, the host's devices: nodes made in the container's `/dev`.
        public var devices: [Device]?
        /// The seccomp policy; nil for none (`unconfined`, `--privileged`).
        public var seccomp: Seccomp?

        public init(namespaces: [Namespace], maskedPaths: [String], readonlyPaths: [String], cgroupsPath: String?) {
            self.namespaces = namespaces
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.cgroupsPath = cgroupsPath
        }
    }
}
