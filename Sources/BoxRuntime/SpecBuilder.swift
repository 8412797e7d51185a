import BoxCore
import BoxOCI
import BoxOS

/// Image config + run options → OCI runtime spec, by the image spec's conversion rules and Docker's defaults.
public enum SpecBuilder {
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Docker's masked paths: hidden from the container.
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    /// Docker's read-only paths.
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The process arguments: Entrypoint + Cmd, where a given command replaces Cmd and `--entrypoint`
    /// replaces Entrypoint (and then the image's Cmd is dropped, as Docker does).
    public static func args(image: ContainerConfig?, entrypoint: String?, command: [String]) throws(BoxError) -> [String] {
        var ep = image?.Entrypoint ?? []
        var cmd = image?.Cmd ?? []
        if let entrypoint {
            ep = entrypoint.isEmpty ? [] : [entrypoint]
            cmd = []
        }
        if !command.isEmpty { cmd = command }
        let args = ep + cmd
        guard !args.isEmpty else { throw BoxError(.invalidArgument, "no command specified") }
        return args
    }

    /// The environment: the image's, then the user's (a later `KEY=` replaces an earlier one in place),
    /// with `PATH`, `HOSTNAME` and `HOME` as Docker provides them.
    public static func env(image: [String]?, user: [String], hostname: String, home: String) -> [String] {
        var out: [String] = []
        var index: [Substring: Int] = [:]
        func put(_ kv: String) {
            let key = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if let i = index[key] { out[i] = kv } else {
                index[key] = out.count
                out.append(kv)
            }
        }
        put(defaultPath)
        put("HOSTNAME=\(hostname)")
        for kv in image ?? [] { put(kv) }
        for kv in user { put(kv) }
        if index["HOME"] == nil { put("HOME=\(home)") }
        return out
    }

    /// The default mounts of every container: /proc, /dev and its parts, /sys.
    public static func defaultMounts(readOnlySys: Bool = true) -> [RuntimeSpec.Mount] {
        [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", readOnlySys ? "ro" : "rw"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"]),
        ]
    }

    /// The capability set: Docker's default, plus `--cap-add`, minus `--cap-drop` (`ALL` in either).
    public static func capabilities(add: [String], drop: [String]) throws(BoxError) -> [String] {
        var set = Capabilities.dockerDefault
        let dropAll = drop.contains { $0.uppercased() == "ALL" }
        let addAll = add.contains { $0.uppercased() == "ALL" }
        if dropAll { set = [] }
        if addAll { set = Capabilities.all }
        for a in add where a.uppercased() != "ALL" {
            let c = try Capabilities.canonical(a)
            if !set.contains(c) { set.append(c) }
        }
        for d in drop where d.uppercased() != "ALL" {
            let c = try Capabilities.canonical(d)
            set.removeAll { $0 == c }
        }
        return set
    }

    /// A volume's entry in the spec: a bind mount of its data directory, or, for a volume made with the local
    /// driver's `--opt type=…,device=…[,o=…]`, that filesystem (a bind of `device` when `o` has `bind`).
    public static func volumeMount(_ v: VolumeMount, mountpoint: String, options: [String: String]?) -> RuntimeSpec.Mount {
        let rw = v.readOnly ? "ro" : "rw"
        guard let type = options?["type"], let device = options?["device"] else {
            return .init(destination: v.destination, type: "bind", source: mountpoint, options: ["rbind", rw])
        }
        let o = (options?["o"] ?? "").split(separator: ",").map(String.init)
        if o.contains("bind") || o.contains("rbind") {
            return .init(destination: v.destination, type: "bind", source: device, options: ["rbind", rw])
        }
        return .init(destination: v.destination, type: type, source: device, options: o.filter { $0 != "rw" && $0 != "ro" } + [rw])
    }

    /// The whole spec for a container whose root will be at `rootfs`.
    /// `runDir` holds the generated `hosts`, `hostname` and `resolv.conf`, bound over the image's.
    /// `volumes` are the mounts of `options.volumes` (``volumeMount(_:mountpoint:options:)``); `resolve` gives where
    /// each user mount's destination is inside the root (its symlinks followed there, as runc does).
    public static func spec(image: ImageConfig, options: RunOptions, user: ResolvedUser, hostname: String,
                            rootfs: String, runDir: String, cgroupsPath: String,
                            volumes: [RuntimeSpec.Mount] = [],
                            resolve: (String) throws(BoxError) -> String = { $0 }) throws(BoxError) -> RuntimeSpec {
        let cfg = image.config
        let caps = try capabilities(add: options.capAdd, drop: options.capDrop)
        let process = RuntimeSpec.Process(
            user: .init(uid: user.uid, gid: user.gid, additionalGids: user.additionalGids.isEmpty ? nil : user.additionalGids),
            args: try args(image: cfg, entrypoint: options.entrypoint, command: options.command),
            env: env(image: cfg?.Env, user: options.env, hostname: hostname, home: user.home),
            cwd: options.workdir ?? ((cfg?.WorkingDir).flatMap { $0.isEmpty ? nil : $0 } ?? "/"),
            capabilities: .init(bounding: caps, effective: caps, permitted: caps))
        var mounts = defaultMounts()
        for f in ["resolv.conf", "hostname", "hosts"] {
            mounts.append(.init(destination: "/etc/" + f, type: "bind", source: runDir + "/" + f, options: ["rbind", "rprivate"]))
        }
        // user mounts, shallowest first, so a mount inside another lands on top of it
        var extra: [RuntimeSpec.Mount] = options.binds.map {
            .init(destination: $0.destination, type: "bind", source: $0.source, options: ["rbind", $0.readOnly ? "ro" : "rw"])
        }
        extra += volumes
        for (dst, opts) in options.tmpfs {
            extra.append(.init(destination: dst, type: "tmpfs", source: "tmpfs",
                               options: ["rw", "noexec", "nosuid", "nodev", "size=65536k"] + (opts.isEmpty ? [] : opts.split(separator: ",").map(String.init))))
        }
        for t in options.tmpfsMounts {
            extra.append(.init(destination: t.destination, type: "tmpfs", source: "tmpfs", options: t.options))
        }
        for i in extra.indices { extra[i].destination = try resolve(extra[i].destination) }
        mounts += extra.sorted { $0.destination.split(separator: "/").count < $1.destination.split(separator: "/").count }
        var ns = ["pid", "mount", "uts", "ipc", "cgroup"].map { RuntimeSpec.Namespace(type: $0) }
        if options.network != "host" { ns.append(.init(type: "network")) }
        var spec = RuntimeSpec(process: process, root: .init(path: rootfs, readonly: options.readOnly), hostname: hostname,
                               mounts: mounts, linux: .init(namespaces: ns, maskedPaths: maskedPaths, readonlyPaths: readonlyPaths,
                                                            cgroupsPath: cgroupsPath))
        try applyResources(options.resources, to: &spec)
        try applyIsolation(options.isolation, to: &spec)
        try applySecurity(options.security, to: &spec)
        return spec
    }
}
