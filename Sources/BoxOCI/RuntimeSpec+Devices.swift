extension RuntimeSpec {
    /// A resource limit of the process (`RLIMIT_NOFILE` is `"RLIMIT_NOFILE"`).
    public struct POSIXRlimit: Codable, Hashable, Sendable {
        public var type: String
        public var soft: UInt64
        public var hard: UInt64

        public init(type: String, soft: UInt64, hard: UInt64) {
            self.type = type
            self.soft = soft
            self.hard = hard
        }
    }

    /// A device node in the container: `type` is `c` or `b`.
    public struct Device: Codable, Hashable, Sendable {
        public var path: String
        public var type: String
        public var major: Int64
        public var minor: Int64
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?

        public init(path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }
}
