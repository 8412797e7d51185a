import BoxCore
import BoxOCI

/// A seccomp profile in Docker's format (`--security-opt seccomp=PROFILE.json`, moby's `profiles/seccomp`):
/// a default action, the architectures (or an `archMap` from the native one to its sub-architectures), and
/// rules that may apply only with some capabilities, on some architectures or from some kernel on.
public struct SeccompProfile: Codable, Sendable, Equatable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]?
    public var archMap: [ArchMap]?
    public var syscalls: [Rule]?

    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                archMap: [ArchMap]? = nil, syscalls: [Rule]? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.syscalls = syscalls
    }

    /// A native architecture and the ones its kernel also runs (`SCMP_ARCH_X86_64`: `SCMP_ARCH_X86`, `SCMP_ARCH_X32`).
    public struct ArchMap: Codable, Sendable, Equatable {
        public var architecture: String
        public var subArchitectures: [String]?

        public init(_ architecture: String, _ subArchitectures: [String]?) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// A rule of the profile: `names` (or the older single `name`) get `action`, under `args`, when `includes`
    /// holds and `excludes` does not.
    public struct Rule: Codable, Sendable, Equatable {
        public var name: String?
        public var names: [String]?
        public var action: String
        public var errnoRet: UInt32?
        public var args: [Arg]?
        public var comment: String?
        public var includes: Filter?
        public var excludes: Filter?

        public init(_ names: [String], _ action: String = "SCMP_ACT_ALLOW", errnoRet: UInt32? = nil, args: [Arg]? = nil,
                    includes: Filter? = nil, excludes: Filter? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.includes = includes
            self.excludes = excludes
        }
    }

    /// An argument condition: the runtime spec's own type.
    public typealias Arg = RuntimeSpec.SeccompArg

    /// When a rule applies: every listed capability in the bounding set, one of the architectures (Go's names:
    /// `amd64`, `x86`, `x32`, `arm64`, …), a kernel at least `minKernel`.
    public struct Filter: Codable, Sendable, Equatable {
        public var caps: [String]?
        public var arches: [String]?
        public var minKernel: String?

        public init(caps: [String]? = nil, arches: [String]? = nil, minKernel: String? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }

    /// Parses a profile file's bytes; `what` names it in errors (Docker's words).
    public static func parse(_ bytes: [UInt8], what: String) throws(BoxError) -> SeccompProfile {
        do {
            return try JSON.decode(SeccompProfile.self, from: bytes, what: what)
        } catch {
            throw BoxError(.invalidArgument, "decoding seccomp profile failed: \(error.message)")
        }
    }
}
