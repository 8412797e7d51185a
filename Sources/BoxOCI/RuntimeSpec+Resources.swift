extension RuntimeSpec {
    /// The cgroup limits of a container, in the runtime spec's shape (`linux.resources`).
    public struct Resources: Codable, Hashable, Sendable {
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        /// Device access rules, in order (the devices controller on v1).
        public var devices: [DeviceRule]?

        public init(memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil, devices: [DeviceRule]? = nil) {
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
            self.devices = devices
        }
    }

    /// Bytes; `swap` is memory plus swap, as `--memory-swap` (-1: unlimited). `swappiness` is 0-100 (v1 only).
    public struct Memory: Codable, Hashable, Sendable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public var swappiness: UInt64?

        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, swappiness: UInt64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
            self.swappiness = swappiness
        }
    }

    /// CPU weight, bandwidth (`quota` µs per `period` µs) and placement.
    public struct CPU: Codable, Hashable, Sendable {
        public var shares: UInt64?
        public var quota: Int64?
        public var period: UInt64?
        public var cpus: String?
        public var mems: String?

        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, cpus: String? = nil, mems: String? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.cpus = cpus
            self.mems = mems
        }
    }

    /// The most tasks the cgroup may hold; -1 is no limit.
    public struct Pids: Codable, Hashable, Sendable {
        public var limit: Int64

        public init(limit: Int64) { self.limit = limit }
    }

    /// `allow` or deny `access` (`rwm`) to devices of `type` (`a`, `c`, `b`) and numbers (nil: any).
    public struct DeviceRule: Codable, Hashable, Sendable {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?

        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }
}

extension RuntimeSpec.DeviceRule {
    /// `a *:* rwm` denied: the first rule of every unprivileged container.
    public static let denyAll = RuntimeSpec.DeviceRule(allow: false, access: "rwm")
    /// `a *:* rwm` allowed: `--privileged` uses this one rule instead of ``dockerDefaults``.
    public static let allowAll = RuntimeSpec.DeviceRule(allow: true, access: "rwm")

    /// Docker's default device cgroup rules: deny everything, then allow `mknod` of any device and the use of
    /// `/dev/null`, `zero`, `full`, `random`, `urandom`, `tty`, `console`, `ptmx` and the pseudo-terminals.
    /// `--device` appends its rules to these; `--privileged` replaces them with ``allowAll``.
    public static let dockerDefaults: [RuntimeSpec.DeviceRule] = [
        denyAll,
        .init(allow: true, type: "c", access: "m"),
        .init(allow: true, type: "b", access: "m"),
        char(1, 3),  // null
        char(1, 5),  // zero
        char(1, 7),  // full
        char(1, 8),  // random
        char(1, 9),  // urandom
        char(5, 0),  // tty
        char(5, 1),  // console
        char(5, 2),  // ptmx
        .init(allow: true, type: "c", major: 136, access: "rwm"),  // pts/*
    ]

    /// An allowed character device, read, write and mknod.
    private static func char(_ major: Int64, _ minor: Int64) -> RuntimeSpec.DeviceRule {
        .init(allow: true, type: "c", major: major, minor: minor, access: "rwm")
    }
}
