#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import CSeccomp

/// Compiled programs kept under a directory (the run root's `seccomp/`), named by the SHA-256 of the policy
/// and the libseccomp version: libseccomp takes ~10 ms to compile Docker's default profile, reading the
/// program back a few microseconds. A missing or unreadable cache only costs the compile.
public struct SeccompCache: Sendable {
    public let directory: String?

    public init(directory: String?) { self.directory = directory }

    /// The BPF program of `policy`, from the cache or compiled (and then stored).
    public func program(for policy: RuntimeSpec.Seccomp) throws(BoxError) -> [UInt8] {
        guard let directory else { return try SeccompFilter.compile(policy) }
        let path = directory + "/" + SeccompCache.key(policy) + ".bpf"
        if let bytes = try? Files.read(path), !bytes.isEmpty, bytes.count % 8 == 0 { return bytes }
        let bytes = try SeccompFilter.compile(policy)
        try? Files.mkdirAll(directory, mode: 0o700)
        try? Files.writeAtomic(path, bytes, mode: 0o600)
        return bytes
    }

    /// The program of Docker's default profile for a bounding set, without building the policy when the cache
    /// has it: the key is the capability mask plus this binary's identity (a rebuilt box, whose default
    /// profile may differ, never reads an older program). `build` gives the policy on a miss (nil: none).
    public func defaultProgram(capabilities mask: UInt64,
                               build: () throws(BoxError) -> RuntimeSpec.Seccomp?) throws(BoxError) -> [UInt8]? {
        var st = stat()
        guard let directory, stat("/proc/self/exe", &st) == 0 else { return try build().map { (p) throws(BoxError) in try program(for: p) } }
        var s = "default/\(String(mask, radix: 16))/\(st.st_dev):\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        if let v = seccomp_version() { s += "/libseccomp \(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)" }
        let path = directory + "/" + Digest.of(Array(s.utf8)).hex + ".bpf"
        if let bytes = try? Files.read(path) { return bytes.isEmpty || bytes.count % 8 != 0 ? nil : bytes }
        let bytes = try build().map { (p) throws(BoxError) in try program(for: p) } ?? []
        try? Files.mkdirAll(directory, mode: 0o700)
        try? Files.writeAtomic(path, bytes, mode: 0o600)
        return bytes.isEmpty ? nil : bytes
    }

    /// The cache key: every field of the policy, in order, and libseccomp's version.
    static func key(_ p: RuntimeSpec.Seccomp) -> String {
        var s = "\(p.defaultAction)/\(p.defaultErrnoRet ?? 0)/\((p.architectures ?? []).joined(separator: ","))"
        if let v = seccomp_version() { s += "/libseccomp \(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)" }
        for r in p.syscalls ?? [] {
            s += "\n\(r.action) \(r.errnoRet ?? 0) \(r.names.joined(separator: ","))"
            for a in r.args ?? [] { s += " \(a.index):\(a.op):\(a.value):\(a.valueTwo ?? 0)" }
        }
        return Digest.of(Array(s.utf8)).hex
    }
}
