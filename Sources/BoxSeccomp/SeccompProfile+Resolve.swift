#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI

extension SeccompProfile {
    /// This machine's architecture in the profile's two vocabularies: Go's name (for `includes.arches`) and
    /// libseccomp's token (for `archMap`).
    public static var native: (go: String, scmp: String) {
        #if arch(x86_64)
        ("amd64", "SCMP_ARCH_X86_64")
        #elseif arch(arm64)
        ("arm64", "SCMP_ARCH_AARCH64")
        #elseif arch(s390x)
        ("s390x", "SCMP_ARCH_S390X")
        #elseif arch(powerpc64le)
        ("ppc64le", "SCMP_ARCH_PPC64LE")
        #elseif arch(riscv64)
        ("riscv64", "SCMP_ARCH_RISCV64")
        #else
        ("", "")
        #endif
    }

    /// The running kernel's major and minor version, from `uname`.
    public static var kernelVersion: (Int, Int) {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (try? parseKernel(release)) ?? (0, 0)
    }

    /// `5.10`, `4.8.0-rc1`: the major and minor numbers.
    static func parseKernel(_ s: String) throws(BoxError) -> (Int, Int) {
        let parts = s.split(separator: ".", maxSplits: 2)
        guard parts.count >= 2, let major = Int(parts[0]),
              let minor = Int(parts[1].prefix { $0.isNumber }) else {
            throw BoxError(.invalidArgument, "seccomp profile: can't parse kernel version \"\(s)\"")
        }
        return (major, minor)
    }

    /// The policy for one container, as moby's `setupSeccomp` settles it: the architectures of the native
    /// entry of `archMap`, and the rules whose `excludes` do not match and whose `includes` do, for the
    /// container's bounding set `capabilities` (`CAP_X` names). Nil when the profile is empty (no default
    /// action, no rules: seccomp off). Every action, operator and architecture is checked here, so a bad profile
    /// fails before a container exists.
    public func resolve(capabilities: [String], arch: String = native.go, archToken: String = native.scmp,
                        kernel: (Int, Int) = kernelVersion) throws(BoxError) -> RuntimeSpec.Seccomp? {
        if defaultAction.isEmpty && (syscalls ?? []).isEmpty { return nil }
        if !(architectures ?? []).isEmpty && !(archMap ?? []).isEmpty {
            throw BoxError(.invalidArgument, "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'")
        }
        try SeccompFilter.checkAction(defaultAction)
        var arches = architectures ?? []
        if let entry = (archMap ?? []).first(where: { $0.architecture == archToken }) {
            arches += [entry.architecture] + (entry.subArchitectures ?? [])
        }
        for a in arches { try SeccompFilter.checkArch(a) }
        let caps = Set(capabilities)
        func atLeast(_ v: String) throws(BoxError) -> Bool {
            let want = try SeccompProfile.parseKernel(v)
            return kernel.0 > want.0 || (kernel.0 == want.0 && kernel.1 >= want.1)
        }
        var rules: [RuntimeSpec.Syscall] = []
        for r in syscalls ?? [] {
            try SeccompFilter.checkAction(r.action)
            for a in r.args ?? [] { try SeccompFilter.checkOperator(a.op) }
            if let ex = r.excludes {
                if let a = ex.arches, a.contains(arch) { continue }
                if let c = ex.caps, c.contains(where: { caps.contains($0) }) { continue }
                if let k = ex.minKernel, try atLeast(k) { continue }
            }
            if let inc = r.includes {
                if let a = inc.arches, !a.isEmpty, !a.contains(arch) { continue }
                if let c = inc.caps, !c.allSatisfy({ caps.contains($0) }) { continue }
                if let k = inc.minKernel, !(try atLeast(k)) { continue }
            }
            var names = r.names ?? []
            if let name = r.name, !name.isEmpty {
                if !names.isEmpty {
                    throw BoxError(.invalidArgument, "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'")
                }
                names = [name]
            }
            let args = r.args
            rules.append(.init(names: names, action: r.action, errnoRet: r.errnoRet, args: args?.isEmpty == true ? nil : args))
        }
        return RuntimeSpec.Seccomp(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
                                   architectures: arches.isEmpty ? nil : arches, syscalls: rules)
    }
}
