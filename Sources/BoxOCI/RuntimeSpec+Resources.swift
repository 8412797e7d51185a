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

    /// Bytes; `swap` is memory plus swap, as `--memory-swap` (-1: unlimited).
    public struct Memory: Codable, Hashable, Sendable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?

        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
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
