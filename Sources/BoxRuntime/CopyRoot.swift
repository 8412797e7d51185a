#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS
import CBox

/// A container's filesystem as its processes see it, volumes and bind mounts included, open for `box cp`.
///
/// A running (or paused) container's is `/proc/PID/root` of its init, opened and then checked against the
/// recorded start time, so a reused pid is never entered. A stopped or created container's is mounted by a
/// helper process in a mount namespace of its own (`box_copy_mount_root`, `CBox/copy.c`): its overlay, then the
/// bind and tmpfs mounts of its spec; the helper hands back an fd of the root and keeps the mounts alive until
/// this object goes, so they exist exactly as long as the copy and never on the host. Meanwhile the container's
/// lock is held, so another copy or a removal waits.
public final class ContainerRoot {
    /// The root directory, `O_PATH`: every path below it is opened with `RESOLVE_IN_ROOT`.
    public let fd: Int32
    private let helper: pid_t
    private let hold: Int32
    private let lock: FileLock?

    private init(fd: Int32, helper: pid_t = 0, hold: Int32 = -1, lock: FileLock? = nil) {
        self.fd = fd
        self.helper = helper
        self.hold = hold
        self.lock = lock
    }

    deinit {
        close(fd)
        if helper > 0 { box_copy_release(helper, hold) }
        lock?.unlock()
    }

    /// The root of the container `r`.
    public static func open(_ r: ContainerRecord, store: ContainerStore) throws(BoxError) -> ContainerRoot {
        if let running = running(r) { return running }
        let lock = try FileLock(store.dir(r.id))
        // the record again, under the lock: a container started meanwhile is entered through its process
        let now = try store.resolve(r.id)
        if let running = running(now) { return running }
        return try mounted(now, store: store, lock: lock)
    }

    /// `/proc/PID/root` of a running or paused container's init, if it is that process still.
    static func running(_ r: ContainerRecord) -> ContainerRoot? {
        guard r.state.status == .running || r.state.status == .paused, r.state.pid > 0 else { return nil }
        let fd = Glibc.open("/proc/\(r.state.pid)/root", BOX_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        // checked after the open: the fd then names the recorded process's root, not a later holder of its pid
        guard ProcessInfo.isAlive(r.state.pid, startTime: r.state.pidStartTime) else {
            close(fd)
            return nil
        }
        return ContainerRoot(fd: fd)
    }

    /// The mounts of the spec that a copy must see: binds (volumes among them) and tmpfs, not the defaults
    /// every container gets nor the generated `/etc` files.
    static func userMounts(_ r: ContainerRecord) -> [RuntimeSpec.Mount] {
        let skipped = Set(SpecBuilder.defaultMounts().map(\.destination) + ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"])
        return r.spec.mounts.filter { ($0.type == "bind" || $0.type == "tmpfs") && !skipped.contains($0.destination) }
    }

    private static func mounted(_ r: ContainerRecord, store: ContainerStore, lock: FileLock) throws(BoxError) -> ContainerRoot {
        let arena = CArena()
        let base = store.dir(r.id)
        let layersDir = store.paths.layers
        // as Launcher.start mounts it: lowerdir entries relative to the layers directory
        let lowers = r.lowerDirs.map { $0.hasPrefix(layersDir + "/") ? String($0.dropFirst(layersDir.count + 1)) : $0 }
        let overlay = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(base)/upper,workdir=\(base)/work"
        let mounts = userMounts(r).map { m in
            let o = MountOptions(m.options ?? [])
            let bind = m.type == "bind"
            let type = m.type ?? "tmpfs"
            return box_copy_mount(source: arena.string(m.source ?? type), target: arena.string(m.destination),
                                  fstype: bind ? nil : arena.string(type), flags: o.flags,
                                  data: bind || o.data.isEmpty ? nil : arena.string(o.data))
        }
        var cfg = box_copy_root()
        cfg.rootfs = arena.string(base + "/rootfs")
        cfg.overlay_data = arena.string(overlay)
        cfg.overlay_cwd = arena.string(layersDir)
        cfg.readonly = r.spec.root.readonly ? 1 : 0
        cfg.mounts = arena.array(mounts)
        cfg.n_mounts = Int32(mounts.count)
        var rootFD: Int32 = -1, hold: Int32 = -1
        var report = box_child_error()
        let pid = box_copy_mount_root(&cfg, &rootFD, &hold, &report)
        if pid < 0 { throw BoxError.sys("mount the container's filesystem", errno: errno) }
        if pid == 0 { throw Launcher.error(from: report) }
        return ContainerRoot(fd: rootFD, helper: pid, hold: hold, lock: lock)
    }
}
