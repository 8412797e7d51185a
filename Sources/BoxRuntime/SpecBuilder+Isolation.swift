#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI

extension SpecBuilder {
    /// The kernel's numbers of the limits `--ulimit` names (the same on every architecture box runs on).
    static let rlimitNumbers: [String: Int32] = [
        "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7, "memlock": 8,
        "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
    ]

    /// Puts the isolation options into the spec: the namespaces shared with the host, `/dev/shm`, rlimits,
    /// the OOM score, sysctls and devices (with their cgroup rules). Checks what this host allows: a limit above
    /// box's own hard limit, or a lower OOM score, needs `CAP_SYS_RESOURCE`.
    static func applyIsolation(_ o: IsolationOptions, to spec: inout RuntimeSpec) throws(BoxError) {
        var drop: Set<String> = []
        if o.ipcMode == "host" { drop.insert("ipc") }
        if o.pidMode == "host" { drop.insert("pid") }
        if o.utsMode == "host" { drop.insert("uts") }
        if o.cgroupnsMode == "host" { drop.insert("cgroup") }
        spec.linux.namespaces.removeAll { drop.contains($0.type) }
        if o.utsMode == "host" { spec.hostname = hostHostname() }

        if let i = spec.mounts.firstIndex(where: { $0.destination == "/dev/shm" }) {
            switch o.ipcMode {
            case "host": spec.mounts[i] = .init(destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind", "rw"])
            case "none": spec.mounts.remove(at: i)
            default:
                let size = o.shmSize ?? IsolationOptions.defaultShmSize
                spec.mounts[i].options = (spec.mounts[i].options ?? []).filter { !$0.hasPrefix("size=") } + ["size=\(size)"]
            }
        }

        // CAP_SYS_RESOURCE, read from /proc only when a flag needs it
        lazy var canRaise = Executor.ownPermitted() & (1 << 24) != 0
        var rlimits: [RuntimeSpec.POSIXRlimit] = []
        for u in o.ulimits {
            let soft = UInt64(bitPattern: u.soft), hard = UInt64(bitPattern: u.hard)
            if let n = rlimitNumbers[u.name], !canRaise {
                var cur = rlimit()
                if getrlimit(__rlimit_resource_t(UInt32(n)), &cur) == 0 && hard > UInt64(cur.rlim_max) {
                    throw BoxError(.invalidArgument, "ulimit \(u.name): hard limit \(u.hard) is above this host's \(cur.rlim_max), and box lacks CAP_SYS_RESOURCE to raise it")
                }
            }
            rlimits.append(.init(type: "RLIMIT_" + u.name.uppercased(), soft: soft, hard: hard))
        }
        spec.process.rlimits = rlimits.isEmpty ? nil : rlimits

        if let adj = o.oomScoreAdj {
            let mine = (try? Files.read("/proc/self/oom_score_adj")).flatMap { Int(String(decoding: $0, as: UTF8.self).split(separator: "\n").first ?? "") } ?? 0
            if adj < mine && !canRaise {
                throw BoxError(.invalidArgument, "--oom-score-adj \(adj) is below box's own \(mine), and box lacks CAP_SYS_RESOURCE to lower it")
            }
            spec.process.oomScoreAdj = adj
        }

        spec.linux.sysctl = o.sysctls.isEmpty ? nil : o.sysctls

        var devices: [RuntimeSpec.Device] = []
        var rules: [RuntimeSpec.DeviceRule] = []
        for d in o.devices {
            for dev in try hostDevices(d.pathOnHost, as: d.pathInContainer) {
                devices.append(dev)
                rules.append(.init(allow: true, type: dev.type, major: dev.major, minor: dev.minor, access: d.cgroupPermissions))
            }
        }
        if !devices.isEmpty {
            spec.linux.devices = (spec.linux.devices ?? []) + devices
            var res = spec.linux.resources ?? RuntimeSpec.Resources()
            res.devices = (res.devices ?? []) + rules
            spec.linux.resources = res
        }
    }

    /// The device nodes at `path` on the host (a node, or every node below a directory), named under `target`.
    static func hostDevices(_ path: String, as target: String) throws(BoxError) -> [RuntimeSpec.Device] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw BoxError(.notFound, "error gathering device information while adding custom device \"\(path)\": \(errnoText(errno))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFCHR, S_IFBLK:
            return [RuntimeSpec.Device(path: target, type: (st.st_mode & S_IFMT) == S_IFBLK ? "b" : "c",
                                       major: devMajor(st.st_rdev), minor: devMinor(st.st_rdev),
                                       fileMode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid)]
        case S_IFDIR:
            guard let dir = opendir(path) else { throw BoxError.sys("read device directory", path, errno: errno) }
            defer { closedir(dir) }
            var out: [RuntimeSpec.Device] = []
            while let e = readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                var sub = stat()
                guard lstat(path + "/" + name, &sub) == 0 else { continue }
                let kind = sub.st_mode & S_IFMT
                if kind == S_IFCHR || kind == S_IFBLK || kind == S_IFDIR {
                    out += try hostDevices(path + "/" + name, as: target + "/" + name)
                }
            }
            return out
        default:
            throw BoxError(.invalidArgument, "error gathering device information while adding custom device \"\(path)\": not a device node")
        }
    }

    /// glibc's `major()` and `minor()` (macros Swift does not see).
    static func devMajor(_ d: dev_t) -> Int64 { Int64(((d >> 8) & 0xfff) | ((d >> 32) & ~0xfff)) }
    static func devMinor(_ d: dev_t) -> Int64 { Int64((d & 0xff) | ((d >> 12) & ~0xff)) }

    static func hostHostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
