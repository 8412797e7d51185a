#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime
import CBox

/// The flags `run` and (later) `create` share.
struct CreateFlags: ParsableArguments {
    @Option(name: .customLong("name"), help: "Assign a name to the container")
    var name: String?
    @Option(name: [.customShort("e"), .customLong("env")], help: "Set environment variables (KEY=VALUE, or KEY to pass the caller's)")
    var env: [String] = []
    @Option(name: .customLong("env-file"), help: "Read in a file of environment variables")
    var envFile: [String] = []
    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container")
    var workdir: String?
    @Option(name: [.customShort("u"), .customLong("user")], help: "Username or UID (format: <name|uid>[:<group|gid>])")
    var user: String?
    @Option(name: .customLong("entrypoint"), help: "Overwrite the default ENTRYPOINT of the image")
    var entrypoint: String?
    @Option(name: [.customShort("h"), .customLong("hostname")], help: "Container host name")
    var hostname: String?
    @Option(name: [.customShort("v"), .customLong("volume")], help: "Bind mount a volume: NAME:/ctr, /host:/ctr, or /ctr (anonymous), with :ro, :nocopy")
    var volume: [String] = []
    @Option(name: .customLong("mount"), help: "Attach a filesystem mount: type=volume|bind|tmpfs,source=…,target=…[,readonly][,volume-opt=…][,tmpfs-size=…]")
    var mount: [String] = []
    @Option(name: .customLong("volumes-from"), help: "Mount volumes from the specified container(s): CONTAINER[:ro|:rw]")
    var volumesFrom: [String] = []
    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem as read only")
    var readOnly = false
    @Option(name: .customLong("tmpfs"), help: "Mount a tmpfs directory: /path[:options]")
    var tmpfs: [String] = []
    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Keep STDIN open and pass it to the container")
    var interactive = false
    @Option(name: [.customShort("l"), .customLong("label")], help: "Set meta data on a container (KEY=VALUE)")
    var label: [String] = []
    @Option(name: .customLong("cidfile"), help: "Write the container ID to the file")
    var cidfile: String?
    @Option(name: [.customLong("network"), .customLong("net")],
            help: "Connect a container to a network: none or host (default none; bridge networking is not available yet)")
    var network = "none"
    @Option(name: .customLong("cap-add"), help: "Add Linux capabilities")
    var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop Linux capabilities")
    var capDrop: [String] = []
    @Option(name: .customLong("pull"), help: "Pull image before running: missing, always, newer or never")
    var pull = "missing"
    @Option(name: .customLong("platform"), help: "Pull the image for this platform (os/arch[/variant])")
    var platform: String?
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a pseudo-TTY")
    var tty = false
    @Option(name: .customLong("restart"), help: "Restart policy: no, on-failure[:max-retries], always, unless-stopped")
    var restart = "no"
    @Option(name: .customLong("log-driver"), help: "Logging driver: json-file (default), k8s-file or none")
    var logDriver = "json-file"
    @Option(name: .customLong("log-opt"), help: "Log driver options (max-size=10m, max-file=3)")
    var logOpt: [String] = []
    @Flag(name: .customLong("init"), help: "Run an init inside the container that forwards signals and reaps processes")
    var initProcess = false
    @Option(name: .customLong("stop-signal"), help: "Signal to stop the container")
    var stopSignal: String?
    @Option(name: .customLong("stop-timeout"), help: "Timeout (in seconds) to stop a container")
    var stopTimeout: Int?
    @Option(name: .customLong("health-cmd"), help: "Command to run to check health")
    var healthCmd: String?
    @Option(name: .customLong("health-interval"), help: "Time between running the check (ms|s|m|h) (default 30s)")
    var healthInterval: String?
    @Option(name: .customLong("health-timeout"), help: "Maximum time to allow one check to run (ms|s|m|h) (default 30s)")
    var healthTimeout: String?
    @Option(name: .customLong("health-retries"), help: "Consecutive failures needed to report unhealthy")
    var healthRetries: Int?
    @Option(name: .customLong("health-start-period"), help: "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h) (default 0s)")
    var healthStartPeriod: String?
    @Flag(name: .customLong("no-healthcheck"), help: "Disable any container-specified HEALTHCHECK")
    var noHealthcheck = false
    @OptionGroup var registry: RegistryFlags
    @OptionGroup var resourceFlags: ResourceFlags
    @OptionGroup var securityFlags: SecurityFlags
    @OptionGroup var isolationFlags: IsolationFlags

    /// The options as the runtime takes them; checks every value.
    func options(command: [String]) throws(BoxError) -> RunOptions {
        var o = RunOptions()
        o.name = name
        o.command = command
        o.entrypoint = entrypoint
        let callerEnv = Environment.current
        for file in envFile {
            let text = String(decoding: try Files.read(file), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let l = line.drop { $0 == " " || $0 == "\t" }
                if l.isEmpty || l.hasPrefix("#") { continue }
                if let kv = try envValue(String(l), from: callerEnv) { o.env.append(kv) }
            }
        }
        for e in env { if let kv = try envValue(e, from: callerEnv) { o.env.append(kv) } }
        o.workdir = workdir
        if let w = workdir, !w.hasPrefix("/") {
            throw BoxError(.invalidArgument, "the working directory '\(w)' is invalid, it needs to be an absolute path")
        }
        o.user = user
        o.hostname = hostname
        let cwd = Self.currentDirectory()
        for m in try volume.map({ (v) throws(BoxError) in try MountFlags.parseVolume(v, cwd: cwd) })
            + mount.map({ (m) throws(BoxError) in try MountFlags.parseMount(m, cwd: cwd) }) {
            switch m {
            case .bind(let b): o.binds.append(b)
            case .volume(let v): o.volumes.append(v)
            case .tmpfs(let t): o.tmpfsMounts.append(t)
            }
        }
        for v in volumesFrom { _ = try MountFlags.parseVolumesFrom(v) }
        o.volumesFrom = volumesFrom
        for t in tmpfs {
            let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
            guard let dst = parts.first, dst.hasPrefix("/") else { throw BoxError(.invalidArgument, "invalid tmpfs \"\(t)\": path must be absolute") }
            o.tmpfs.append((dst, parts.count > 1 ? parts[1] : ""))
        }
        o.readOnly = readOnly
        o.interactive = interactive
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            o.labels[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        switch network {
        case "none", "host": o.network = network
        case "bridge", "default": throw BoxError(.invalidArgument, "network \"\(network)\" is not available yet: use --network none or --network host")
        default: throw BoxError(.notFound, "network \(network) not found")
        }
        o.capAdd = capAdd
        o.capDrop = capDrop
        o.tty = tty
        o.restartPolicy = try RestartPolicy.parse(restart)
        o.logOptions = try LogOptions.parse(driver: logDriver, options: logOpt)
        o.logDriver = logDriver
        o.initProcess = initProcess
        if let s = stopSignal { _ = try Signals.parse(s) }
        o.stopSignal = stopSignal
        o.stopTimeout = stopTimeout
        o.health.cmd = healthCmd
        o.health.interval = healthInterval
        o.health.timeout = healthTimeout
        o.health.retries = healthRetries
        o.health.startPeriod = healthStartPeriod
        o.health.none = noHealthcheck
        if !["missing", "always", "newer", "never"].contains(pull) {
            throw BoxError(.invalidArgument, "invalid pull policy \"\(pull)\": use missing, always, newer or never")
        }
        try resourceFlags.apply(to: &o)
        try securityFlags.apply(to: &o)
        try isolationFlags.apply(to: &o)
        return o
    }

    /// The working directory, against which `-v ./dir:…` is resolved (as Docker's CLI does).
    private static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `KEY=VALUE` as is; a bare `KEY` takes the caller's value, and is dropped if the caller has none (Docker).
    private func envValue(_ s: String, from env: [String: String]) throws(BoxError) -> String? {
        if s.hasPrefix("=") || s.isEmpty { throw BoxError(.invalidArgument, "invalid environment variable: \(s)") }
        if s.contains("=") { return s }
        return env[s].map { "\(s)=\($0)" }
    }
}

/// `box run [OPTIONS] IMAGE [COMMAND] [ARG…]`: create a container and run it, in the foreground or detached.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Create and run a new container from an image",
        discussion: """
            In the foreground, box forwards SIGINT, SIGTERM and SIGHUP and exits with the container's code. With -d, \
            a monitor (box itself, one per container) keeps the container's logs and exit code, and exits with it.
            """)

    @OptionGroup var flags: CreateFlags
    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits")
    var rm = false
    @Flag(name: [.customShort("d"), .customLong("detach")], help: "Run container in background and print container ID")
    var detach = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container")
    var detachKeys = AttachClient.defaultKeys
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]")
    var imageAndCommand: [String] = []

    func run() throws {
        guard let image = imageAndCommand.first else {
            throw BoxError(.invalidArgument, "\"box run\" requires at least 1 argument: box run [OPTIONS] IMAGE [COMMAND] [ARG...]")
        }
        var options = try flags.options(command: Array(imageAndCommand.dropFirst()))
        options.autoRemove = rm
        let keys = try AttachClient.parseKeys(detachKeys)
        if flags.tty && flags.interactive && !detach && !Terminal.isTTY(0) {
            throw BoxError(.invalidArgument, "the input device is not a TTY")
        }
        let ctx = Context()
        let images = try ctx.images()
        let store = try ctx.containers()
        let cgroups = ctx.cgroups()
        if let cid = flags.cidfile, Files.exists(cid) {
            throw BoxError(.alreadyExists, "container ID file found, make sure the other container isn't running or delete \(cid)")
        }
        try Puller.ensure(image, policy: flags.pull, flags: flags.registry, platform: flags.platform, store: images)
        let record = try Containers.create(imageRef: image, options: options, images: images, store: store, cgroups: cgroups)
        // from here on, a failure removes what was made: nothing is left behind
        let code: Int32
        do {
            if let cid = flags.cidfile { try Files.writeAtomic(cid, Array(record.id.utf8)) }
            if detach {
                _ = try Monitor.spawn(id: record.id, paths: ctx.paths, removeOnFailure: true)
                Output.out(record.id + "\n")
                return
            }
            // a tty, a restart policy or a health check needs a monitor, which this command attaches to;
            // a plain foreground run is its container's parent itself, which is quicker
            if flags.tty || options.restartPolicy.name != "no" || record.settings.healthcheck != nil {
                code = try AttachClient.runAttached(record, paths: ctx.paths, stdin: flags.interactive, keys: keys)
            } else {
                // signals that box forwards are read from a signalfd; the child unblocks them before exec
                var sigs: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
                let sfd = box_signalfd(&sigs, Int32(sigs.count))
                code = try Monitor(store: store, cgroups: cgroups).runForeground(
                    record, stdin: flags.interactive ? .fd(0) : .null, signalFD: sfd)
            }
        } catch {
            // the issue's rule: a run that failed to start leaves no container, cgroup or file behind
            try? cgroups.remove(record.settings.cgroupPath)
            try? Containers.remove(record, store: store, anonymousVolumes: true)
            if let cid = flags.cidfile { unlink(cid) }
            throw error
        }
        throw ContainerExit(code: code)
    }
}
