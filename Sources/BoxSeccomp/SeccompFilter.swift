#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import CSeccomp

/// A seccomp policy compiled by libseccomp into a classic BPF program (`struct sock_filter[]`), which the C
/// child installs with `seccomp(SECCOMP_SET_MODE_FILTER)` just before it drops its capabilities.
/// Compiling runs in the parent, never between fork and exec.
public enum SeccompFilter {
    /// libseccomp's action values (`SCMP_ACT_*`, macros Swift does not see).
    static func action(_ name: String, errno: UInt32?) throws(BoxError) -> UInt32 {
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return 0x0000_0000
        case "SCMP_ACT_KILL_PROCESS": return 0x8000_0000
        case "SCMP_ACT_TRAP": return 0x0003_0000
        case "SCMP_ACT_ERRNO": return 0x0005_0000 | ((errno ?? UInt32(EPERM)) & 0xffff)
        case "SCMP_ACT_TRACE": return 0x7ff0_0000 | ((errno ?? UInt32(EPERM)) & 0xffff)
        case "SCMP_ACT_LOG": return 0x7ffc_0000
        case "SCMP_ACT_ALLOW": return 0x7fff_0000
        case "SCMP_ACT_NOTIFY":
            throw BoxError(.invalidArgument, "seccomp action SCMP_ACT_NOTIFY needs a listener, which box does not provide")
        default: throw BoxError(.invalidArgument, "string \(name) is not a valid action for seccomp")
        }
    }

    static func checkAction(_ name: String) throws(BoxError) { _ = try action(name, errno: nil) }

    static let operators: [String: scmp_compare] = [
        "SCMP_CMP_NE": SCMP_CMP_NE, "SCMP_CMP_LT": SCMP_CMP_LT, "SCMP_CMP_LE": SCMP_CMP_LE, "SCMP_CMP_EQ": SCMP_CMP_EQ,
        "SCMP_CMP_GE": SCMP_CMP_GE, "SCMP_CMP_GT": SCMP_CMP_GT, "SCMP_CMP_MASKED_EQ": SCMP_CMP_MASKED_EQ,
    ]

    static func checkOperator(_ op: String) throws(BoxError) {
        guard operators[op] != nil else { throw BoxError(.invalidArgument, "string \(op) is not a valid operator for seccomp") }
    }

    /// libseccomp's name of each architecture token a profile may use.
    static let arches: [String: String] = [
        "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X32": "x32", "SCMP_ARCH_ARM": "arm",
        "SCMP_ARCH_AARCH64": "aarch64", "SCMP_ARCH_MIPS": "mips", "SCMP_ARCH_MIPS64": "mips64",
        "SCMP_ARCH_MIPS64N32": "mips64n32", "SCMP_ARCH_MIPSEL": "mipsel", "SCMP_ARCH_MIPSEL64": "mipsel64",
        "SCMP_ARCH_MIPSEL64N32": "mipsel64n32", "SCMP_ARCH_PPC": "ppc", "SCMP_ARCH_PPC64": "ppc64",
        "SCMP_ARCH_PPC64LE": "ppc64le", "SCMP_ARCH_S390": "s390", "SCMP_ARCH_S390X": "s390x",
        "SCMP_ARCH_RISCV64": "riscv64",
    ]

    static func checkArch(_ a: String) throws(BoxError) {
        guard arches[a] != nil else { throw BoxError(.invalidArgument, "string \(a) is not a valid arch for seccomp") }
    }

    /// The BPF program of `policy`, as bytes (8 per instruction). Syscall names libseccomp does not know are
    /// skipped, as runc does; a rule whose action is the default adds nothing.
    public static func compile(_ policy: RuntimeSpec.Seccomp) throws(BoxError) -> [UInt8] {
        let defaultAction = try action(policy.defaultAction, errno: policy.defaultErrnoRet)
        let ctx = try Context(defaultAction)
        for a in policy.architectures ?? [] {
            guard let name = arches[a] else { try checkArch(a); continue }
            let token = seccomp_arch_resolve_name(name)
            guard token != 0 else { throw BoxError(.invalidArgument, "seccomp: libseccomp does not know architecture \(a)") }
            let rc = seccomp_arch_add(ctx.handle, token)
            if rc < 0 && rc != -EEXIST { throw BoxError.sys("add seccomp architecture", a, errno: -rc) }
        }
        for rule in policy.syscalls ?? [] {
            let act = try action(rule.action, errno: rule.errnoRet)
            if act == defaultAction { continue }
            var conds: [scmp_arg_cmp] = []
            for a in rule.args ?? [] {
                guard let op = operators[a.op] else { try checkOperator(a.op); continue }
                conds.append(scmp_arg_cmp(arg: a.index, op: op, datum_a: a.value, datum_b: a.valueTwo ?? 0))
            }
            // conditions on one argument cannot be ANDed by libseccomp: each becomes a rule of its own (runc)
            let indices = Set(conds.map(\.arg))
            let groups = indices.count == conds.count ? [conds] : conds.map { [$0] }
            for name in rule.names {
                let nr = seccomp_syscall_resolve_name(name)
                if nr == __NR_SCMP_ERROR { continue }
                for g in groups {
                    let rc = g.withUnsafeBufferPointer { seccomp_rule_add_array(ctx.handle, act, nr, UInt32($0.count), $0.baseAddress) }
                    if rc < 0 { throw BoxError.sys("add seccomp rule for", name, errno: -rc) }
                }
            }
        }
        var out: UnsafeMutableRawPointer?
        var len = 0
        let rc = box_seccomp_export(ctx.handle, &out, &len)
        guard rc == 0, let out else { throw BoxError.sys("export seccomp filter", errno: -rc) }
        defer { free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: len))
    }

    /// A libseccomp filter context, released with the object.
    final class Context {
        let handle: scmp_filter_ctx

        init(_ defaultAction: UInt32) throws(BoxError) {
            guard let h = seccomp_init(defaultAction) else {
                throw BoxError(.invalidArgument, "seccomp: libseccomp refused the default action")
            }
            handle = h
        }

        deinit { seccomp_release(handle) }
    }
}
