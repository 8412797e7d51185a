#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxImage
import BoxOCI
import CBox

/// What one `RUN` of `box build` runs: a command in a container of the step's image, whose writable layer
/// becomes the step's layer.
public struct BuildStepSpec: Sendable {
    /// The step's image: its layer directories, top first, its ID and its config.
    public var layers: [String]
    public var imageID: Digest
    public var config: ImageConfig
    /// The process's arguments (the shell form already wrapped in the stage's SHELL).
    public var args: [String]
    /// Build arguments in scope, as `KEY=VALUE`, added to the image's Env (which wins over them).
    public var env: [String] = []
    /// `host` (the default, so builds reach the network and loopback services) or `none`.
    public var network = "host"
    /// `RUN --mount` binds (cache directories, the context) and tmpfs mounts.
    public var binds: [BindMount] = []
    public var tmpfs: [TmpfsMount] = []

    public init(layers: [String], imageID: Digest, config: ImageConfig, args: [String]) {
        self.layers = layers
        self.imageID = imageID
        self.config = config
        self.args = args
    }
}

/// Build containers: made from an image that need not be in the store's index (an intermediate step's), run in
/// the foreground, their writable layer written as `commit` writes it, and removed.
public enum BuildStep {
    /// Creates the container of a step (root unless the stage's USER says otherwise; no image volumes, no logs).
    public static func create(_ s: BuildStepSpec, store: ContainerStore, cgroups: any CgroupBackend) throws(BoxError) -> ContainerRecord {
        let id = ContainerStore.newID()
        let files = ImageFiles(topFirst: s.layers)
        let userSpec = s.config.config?.User ?? ""
        let user = try Users.resolve(userSpec, passwd: files.read("/etc/passwd"), group: files.read("/etc/group"))
        var o = RunOptions()
        o.command = s.args
        o.entrypoint = ""
        o.env = s.env
        o.network = s.network
        o.binds = s.binds
        o.tmpfsMounts = s.tmpfs
        let cgroupPath = Cgroups.path(forContainer: id)
        let spec = try SpecBuilder.spec(image: s.config, options: o, user: user, hostname: String(id.prefix(12)),
                                        rootfs: store.dir(id) + "/rootfs", runDir: store.paths.runContainer(id),
                                        cgroupsPath: cgroupPath,
                                        resolve: { (dst) throws(BoxError) in try Containers.mountTarget(dst, layers: s.layers) })
        var settings = ContainerSettings(
            labels: [:], autoRemove: false, networkMode: s.network, binds: s.binds, tmpfs: [:], readOnly: false,
            interactive: false, entrypoint: nil, cmd: s.args, user: userSpec, workingDir: spec.process.cwd,
            env: spec.process.env, stopSignal: nil, capAdd: [], capDrop: [], cgroupPath: cgroupPath, cgroupVersion: cgroups.version)
        settings.logDriver = "none"
        settings.tmpfsMounts = s.tmpfs
        let record = ContainerRecord(id: id, name: "box-build-" + String(id.prefix(12)), image: s.imageID.description,
                                     imageID: s.imageID, created: Time.now(), spec: spec, lowerDirs: s.layers,
                                     settings: settings, state: .created)
        try store.create(record)
        return record
    }

    /// Runs the container in the foreground, its output to `stdout` and `stderr` (-1 drops it); returns its exit
    /// code as a shell shows it. A signal that arrives on `signalFD` (the build is interrupted) kills the
    /// container at once, as Docker and podman do (its PID 1, a shell, would ignore SIGINT and SIGTERM); the
    /// signal stays pending on `signalFD` for the builder to report.
    public static func run(_ r: ContainerRecord, store: ContainerStore, cgroups: any CgroupBackend,
                           stdout: Int32, stderr: Int32, signalFD: Int32) throws(BoxError) -> Int32 {
        let launcher = Launcher(store: store, cgroups: cgroups)
        let io = try ContainerIO(tty: false, stdin: .null)
        defer { io.close() }
        let p = try launcher.start(r, io: io)
        var relay = Monitor.relay(p, io, signalFD: -1, log: nil)
        relay.local_out = stdout
        relay.local_err = stderr
        // the relay would read and forward the signal: it is watched here instead, between short waits
        relay.timer_ms = signalFD >= 0 ? 50 : 0
        while box_relay_run(&relay) == BOX_RELAY_TIMER {
            var pending = pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)
            if poll(&pending, 1, 0) > 0 {
                box_pidfd_send_signal(p.pidfd, SIGKILL)
                relay.timer_ms = 0
            }
        }
        let code = launcher.reap(p)
        try launcher.finish(r, exitCode: code)
        return code
    }

    /// Writes the container's writable layer (mount points left out, whiteouts and opaque directories as OCI
    /// entries) to `writer`, as `box commit` does.
    public static func writeLayer(_ r: ContainerRecord, store: ContainerStore, to writer: ArchiveWriter) throws(BoxError) {
        try LayerDiff.write(UpperWalk(container: r, store: store), to: writer)
    }

    /// Removes the container, its cgroup and its files; never fails.
    public static func remove(_ r: ContainerRecord, store: ContainerStore, cgroups: any CgroupBackend) {
        try? cgroups.remove(r.settings.cgroupPath)
        try? store.delete(r.id)
    }
}
