extension RuntimeSpec {
    /// A seccomp policy, in the runtime spec's shape (`linux.seccomp`): what a profile becomes once its
    /// `includes`/`excludes` are settled for one container (its architecture, capabilities and kernel).
    public struct Seccomp: Codable, Hashable, Sendable {
        /// `SCMP_ACT_ERRNO`, `SCMP_ACT_ALLOW`, `SCMP_ACT_KILL`, …: what a syscall no rule names gets.
        public var defaultAction: String
        /// The errno of an `SCMP_ACT_ERRNO` default (nil: `EPERM`).
        public var defaultErrnoRet: UInt32?
        /// `SCMP_ARCH_X86_64`, …: the architectures the filter covers besides the native one.
        public var architectures: [String]?
        public var syscalls: [Syscall]?

        public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                    syscalls: [Syscall]? = nil) {
            self.defaultAction = defaultAction
            self.defaultErrnoRet = defaultErrnoRet
            self.architectures = architectures
            self.syscalls = syscalls
        }
    }

    /// One rule: the named syscalls get `action` when every argument condition holds.
    public struct Syscall: Codable, Hashable, Sendable {
        public var names: [String]
        public var action: String
        /// The errno of an `SCMP_ACT_ERRNO` action (nil: `EPERM`).
        public var errnoRet: UInt32?
        public var args: [SeccompArg]?

        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [SeccompArg]? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
        }
    }

    /// A condition on argument `index`: `SCMP_CMP_EQ` compares with `value`; `SCMP_CMP_MASKED_EQ` checks
    /// `arg & value == valueTwo`.
    public struct SeccompArg: Codable, Hashable, Sendable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String

        public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }
}
