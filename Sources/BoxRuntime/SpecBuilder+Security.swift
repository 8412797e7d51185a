#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS
import BoxSeccomp
import CBox

extension SpecBuilder {
    /// Puts the security options into the spec; runs last, so the capabilities, mounts and devices are settled.
    ///
    /// `--privileged` (moby's `WithCapabilities`, `WithDevices`, `WithMaskedPaths`): every capability, every host
    /// device with a cgroup rule that allows all, no masked or read-only paths, `/sys` read-write, no seccomp.
    /// Otherwise a custom seccomp profile is settled for the container's bounding set and compiled once, so a bad
    /// one fails before the container exists; Docker's default profile is not stored but built at start.
    static func applySecurity(_ o: SecurityOptions, to spec: inout RuntimeSpec) throws(BoxError) {
        if o.noNewPrivileges { spec.process.noNewPrivileges = true }
        if o.privileged {
            // every capability box itself holds: a set can only shrink (a sandbox may lack some)
            let own = Executor.ownPermitted()
            let all = Capabilities.all.filter { (try? Capabilities.number($0)).map { own & (1 << UInt64($0)) != 0 } ?? false }
            spec.process.capabilities = .init(bounding: all, effective: all, permitted: all)
            spec.linux.maskedPaths = []
            spec.linux.readonlyPaths = []
            for i in spec.mounts.indices where spec.mounts[i].destination == "/sys" {
                spec.mounts[i].options = (spec.mounts[i].options ?? []).map { $0 == "ro" ? "rw" : $0 }
            }
            let taken = Set((spec.linux.devices ?? []).map(\.path))
            spec.linux.devices = (spec.linux.devices ?? []) + privilegedDevices().filter { !taken.contains($0.path) }
            var res = spec.linux.resources ?? RuntimeSpec.Resources()
            res.devices = [.init(allow: true, access: "rwm")]
            spec.linux.resources = res
            spec.linux.seccomp = nil
            return
        }
        if !o.unmask.isEmpty {
            spec.linux.maskedPaths.removeAll { unmasked($0, by: o.unmask) }
            spec.linux.readonlyPaths.removeAll { unmasked($0, by: o.unmask) }
        }
        if let profile = o.seccompProfile, !o.seccompUnconfined {
            spec.linux.seccomp = try profile.resolve(capabilities: spec.process.capabilities.bounding)
            if let policy = spec.linux.seccomp { _ = try SeccompFilter.compile(policy) }
        }
    }

    /// Whether `unmask` (`ALL`, paths, `prefix*`) names `path`.
    static func unmasked(_ path: String, by unmask: [String]) -> Bool {
        unmask.contains { u in
            u == "ALL" || u == path || (u.hasSuffix("*") && path.hasPrefix(String(u.dropLast())))
        }
    }

    /// The nodes of the container's default devices and links, which a privileged container keeps.
    static let defaultDeviceNames: Set<String> = ["null", "zero", "full", "random", "urandom", "tty", "ptmx", "console", "core",
                                                  "fd", "stdin", "stdout", "stderr"]

    /// Every device node of the host's `/dev`, as runc's `HostDevices` walks it: not `pts`, `shm`, `mqueue`,
    /// `fd` or the udev/lxc directories, not the console, not symlinks or FIFOs.
    static func privilegedDevices(_ dir: String = "/dev", under target: String = "/dev") -> [RuntimeSpec.Device] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [RuntimeSpec.Device] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            if target == "/dev" && defaultDeviceNames.contains(name) { continue }
            var st = stat()
            guard lstat(dir + "/" + name, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                if ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"].contains(name) { continue }
                out += privilegedDevices(dir + "/" + name, under: target + "/" + name)
            case S_IFCHR, S_IFBLK:
                out.append(.init(path: target + "/" + name, type: (st.st_mode & S_IFMT) == S_IFBLK ? "b" : "c",
                                 major: devMajor(st.st_rdev), minor: devMinor(st.st_rdev),
                                 fileMode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid))
            default: continue
            }
        }
        return out.sorted { $0.path < $1.path }
    }

    /// The BPF program a container's processes run under (the start path and exec), or nil for none:
    /// none with `--privileged` or `seccomp=unconfined`; the stored policy of a custom profile; else Docker's
    /// default, settled for the container's bounding set. Programs come from `cache` when it has them.
    public static func seccompProgram(for r: ContainerRecord, cache: SeccompCache) throws(BoxError) -> [UInt8]? {
        let o = r.settings.security ?? SecurityOptions()
        if o.privileged || o.seccompUnconfined { return nil }
        if let custom = r.spec.linux.seccomp { return try cache.program(for: custom) }
        let bounding = r.spec.process.capabilities.bounding
        return try cache.defaultProgram(capabilities: try Capabilities.mask(bounding)) { () throws(BoxError) in
            try SeccompProfile.dockerDefault.resolve(capabilities: bounding)
        }
    }
}

/// A compiled seccomp program for the C side's `install_seccomp` (the start path and exec); nil installs none.
func setSeccomp(_ program: [UInt8]?, on cfg: inout box_spawn_config, arena: CArena) {
    guard let program, !program.isEmpty else { return }
    cfg.seccomp_filter = UnsafeRawPointer(arena.array(program))
    cfg.seccomp_len = UInt32(program.count / 8)
}
