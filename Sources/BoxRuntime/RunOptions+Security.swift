import BoxCore
import BoxSeccomp

/// The security flags of `run`/`create`, as given: `--privileged` and `--security-opt` (the capability flags are
/// `RunOptions.capAdd`/`capDrop`).
public struct SecurityOptions: Sendable, Codable, Equatable {
    /// `--privileged`: every capability and host device, no masked or read-only paths, `/sys` writable, no seccomp.
    public var privileged = false
    /// `--security-opt` values as Docker keeps them in `HostConfig.SecurityOpt`: a seccomp profile file is replaced
    /// by its compacted content.
    public var securityOpt: [String] = []
    /// `seccomp=unconfined`.
    public var seccompUnconfined = false
    /// `seccomp=PROFILE.json`, parsed. Not stored: what it becomes for the container is the spec's `linux.seccomp`.
    public var seccompProfile: SeccompProfile?
    /// `no-new-privileges[=true]`.
    public var noNewPrivileges = false
    /// `unmask=ALL|PATH:PATH…` (Podman's) and `systempaths=unconfined` (Docker's, as `ALL`): masked and read-only
    /// paths left alone. A path ending in `*` unmasks every path it prefixes.
    public var unmask: [String] = []

    public init() {}

    /// `seccomp=PATH`: the profile file's bytes, parsed; an empty profile (no default action, no rules) turns
    /// seccomp off, as in Docker.
    public mutating func setSeccompProfile(_ bytes: [UInt8], path: String) throws(BoxError) {
        let profile = try SeccompProfile.parse(bytes, what: path)
        let empty = profile.defaultAction.isEmpty && (profile.syscalls ?? []).isEmpty
        seccompProfile = empty ? nil : profile
        seccompUnconfined = empty
    }

    enum CodingKeys: String, CodingKey {
        case privileged, securityOpt, seccompUnconfined, noNewPrivileges, unmask
    }

    /// Every field may be missing (records made before it existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        privileged = try c.decodeIfPresent(Bool.self, forKey: .privileged) ?? false
        securityOpt = try c.decodeIfPresent([String].self, forKey: .securityOpt) ?? []
        seccompUnconfined = try c.decodeIfPresent(Bool.self, forKey: .seccompUnconfined) ?? false
        noNewPrivileges = try c.decodeIfPresent(Bool.self, forKey: .noNewPrivileges) ?? false
        unmask = try c.decodeIfPresent([String].self, forKey: .unmask) ?? []
    }
}
