extension RuntimeSpec {
    /// A seccomp policy, in the runtime spec's shape (`linux.seccomp`).
    public struct Seccomp: Codable, Hashable, Sendable {
        public var defaultAction: String

        public init(defaultAction: String) { self.defaultAction = defaultAction }
    }
}
