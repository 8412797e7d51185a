#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxOCI
import BoxOS
import CBox

/// C strings and arrays that live as long as this arena: the memory behind a `box_spawn_config`.
final class CArena {
    private var pointers: [UnsafeMutableRawPointer] = []

    func string(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        pointers.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    func optional(_ s: String?) -> UnsafePointer<CChar>? { s.map(string) }

    /// A NULL-terminated array of C strings.
    func strings(_ list: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let p = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: list.count + 1)
        for (i, s) in list.enumerated() { p[i] = string(s) }
        p[list.count] = nil
        pointers.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    func array<T>(_ list: [T]) -> UnsafePointer<T>? {
        guard !list.isEmpty else { return nil }
        let p = UnsafeMutablePointer<T>.allocate(capacity: list.count)
        p.initialize(from: list, count: list.count)
        pointers.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    deinit { for p in pointers { free(p) } }
}

/// Mount options split into kernel flags and the filesystem's data string.
struct MountOptions: Equatable {
    var flags: UInt
    var data: String

    init(_ options: [String]) {
        var flags: UInt = 0
        var data: [String] = []
        for o in options {
            switch o {
            case "ro": flags |= UInt(MS_RDONLY)
            case "rw", "rbind", "bind", "rprivate", "private": break
            case "nosuid": flags |= UInt(MS_NOSUID)
            case "nodev": flags |= UInt(MS_NODEV)
            case "noexec": flags |= UInt(MS_NOEXEC)
            case "strictatime": flags |= UInt(MS_STRICTATIME)
            case "relatime": flags |= UInt(MS_RELATIME)
            case "noatime": flags |= UInt(MS_NOATIME)
            case "exec", "suid", "dev": break
            default: data.append(o)
            }
        }
        self.flags = flags
        self.data = data.joined(separator: ",")
    }
}

/// The process's rlimits and OOM score adjustment, for the C side's `set_limits` (the start path and exec).
func setLimits(_ process: RuntimeSpec.Process, on cfg: inout box_spawn_config, arena: CArena) {
    let rlimits = (process.rlimits ?? []).compactMap { l -> box_rlimit? in
        guard let n = SpecBuilder.rlimitNumbers[l.type.dropFirst(7).lowercased()] else { return nil }
        return box_rlimit(resource: n, soft: l.soft, hard: l.hard)
    }
    cfg.rlimits = arena.array(rlimits)
    cfg.n_rlimits = Int32(rlimits.count)
    if let adj = process.oomScoreAdj {
        cfg.set_oom_score_adj = 1
        cfg.oom_score_adj = Int32(adj)
    }
}

/// The device nodes every container gets, with their major and minor numbers.
let defaultDevices: [(String, UInt32, UInt32)] = [
    ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
]

let defaultDevLinks: [(String, String)] = [
    ("/dev/fd", "/proc/self/fd"), ("/dev/stdin", "/proc/self/fd/0"), ("/dev/stdout", "/proc/self/fd/1"),
    ("/dev/stderr", "/proc/self/fd/2"), ("/dev/ptmx", "pts/ptmx"), ("/dev/core", "/proc/kcore"),
]

/// What the container sees at `/sys/fs/cgroup`, as runc mounts it: its own cgroup directories bound in
/// (on v1 one per controller, under a tmpfs, with links for comounted names), read-only unless `/sys` is writable.
struct CgroupMount {
    var version: String
    /// (name under /sys/fs/cgroup, host directory): `("memory", "/sys/fs/cgroup/memory/box/ID")`; on v2 one, named "".
    var dirs: [(String, String)]

    init(_ backend: any CgroupBackend, path: String) {
        version = backend.version
        // v1 directories are `<root>/<controller>/<path>`
        dirs = backend.directories(path).map { dir in
            (backend.version == "v2" ? "" : String(dir.dropLast(path.count + 1).split(separator: "/").last ?? ""), dir)
        }
    }
}

/// The ordered mount list of the C child, from the spec's mounts, the default devices, the masked and the read-only paths.
func mountList(_ spec: RuntimeSpec, arena: CArena, cgroup: CgroupMount? = nil) -> [box_mount] {
    var out: [box_mount] = []
    func add(_ kind: box_mount_kind, source: String?, target: String, fstype: String? = nil, flags: UInt = 0,
             data: String? = nil, mode: UInt32 = 0, major: UInt32 = 0, minor: UInt32 = 0) {
        out.append(box_mount(kind: Int32(kind.rawValue), source: arena.optional(source), target: arena.string(target),
                             fstype: arena.optional(fstype), flags: flags, data: arena.optional(data?.isEmpty == false ? data : nil),
                             mode: mode, dev_major: major, dev_minor: minor))
    }
    for m in spec.mounts {
        let o = MountOptions(m.options ?? [])
        if m.type == "bind" {
            add(BOX_MOUNT_BIND, source: m.source, target: m.destination, flags: o.flags)
        } else {
            add(BOX_MOUNT_FS, source: m.source, target: m.destination, fstype: m.type, flags: o.flags, data: o.data)
        }
        if m.destination == "/sys", let cgroup {
            let ro = o.flags & UInt(MS_RDONLY) != 0 ? UInt(MS_RDONLY) : 0
            let base = "/sys/fs/cgroup"
            if cgroup.version == "v2" {
                for (_, dir) in cgroup.dirs { add(BOX_MOUNT_BIND, source: dir, target: base, flags: ro | UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)) }
            } else {
                add(BOX_MOUNT_FS, source: "tmpfs", target: base, fstype: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), data: "mode=755")
                for (name, dir) in cgroup.dirs {
                    add(BOX_MOUNT_BIND, source: dir, target: base + "/" + name, flags: ro | UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC))
                    let parts = name.split(separator: ",")
                    if parts.count > 1 { for p in parts { add(BOX_MOUNT_SYMLINK, source: name, target: base + "/" + p) } }
                }
                if ro != 0 { add(BOX_MOUNT_READONLY, source: nil, target: base) }
            }
        }
        if m.destination == "/dev" {
            // nodes and links right after /dev's tmpfs, before anything is mounted below it
            for (path, major, minor) in defaultDevices {
                add(BOX_MOUNT_DEVICE, source: path, target: path, mode: UInt32(S_IFCHR) | 0o666, major: major, minor: minor)
            }
            for (path, target) in defaultDevLinks { add(BOX_MOUNT_SYMLINK, source: target, target: path) }
            for d in spec.linux.devices ?? [] {
                let type = d.type == "b" ? S_IFBLK : S_IFCHR
                add(BOX_MOUNT_DEVICE, source: d.path, target: d.path, mode: UInt32(type) | (d.fileMode ?? 0o666) & 0o7777,
                    major: UInt32(truncatingIfNeeded: d.major), minor: UInt32(truncatingIfNeeded: d.minor))
            }
        }
    }
    // kernel parameters while /proc/sys is still writable; sorted, so the order is the same every start
    for (key, value) in (spec.linux.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
        add(BOX_MOUNT_SYSCTL, source: nil, target: "/proc/sys/" + key.split(separator: ".").joined(separator: "/"), data: value)
    }
    for p in spec.linux.maskedPaths { add(BOX_MOUNT_MASK, source: nil, target: p) }
    for p in spec.linux.readonlyPaths { add(BOX_MOUNT_READONLY, source: nil, target: p) }
    return out
}
