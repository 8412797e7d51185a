#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
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
    @Option(name: [.customShort("v"), .customLong("volume")], help: "Bind mount a host path: /host:/container[:ro]")
    var volume: [String] = []
    @Option(name: .customLong("mount"), help: "Attach a filesystem mount: type=bind,source=…,target=…[,readonly]")
    var mount: [String] = []
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
    @OptionGroup var registry: RegistryFlags

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
        for v in volume { o.binds.append(try BindMount.parseVolume(v)) }
        for m in mount { o.binds.append(try BindMount.parseMount(m)) }
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
        if !["missing", "always", "newer", "never"].contains(pull) {
            throw BoxError(.invalidArgument, "invalid pull policy \"\(pull)\": use missing, always, newer or never")
        }
        return o
    }

    /// `KEY=VALUE` as is; a bare `KEY` takes the caller's value, and is dropped if the caller has none (Docker).
    private func envValue(_ s: String, from env: [String: String]) throws(BoxError) -> String? {
        if s.hasPrefix("=") || s.isEmpty { throw BoxError(.invalidArgument, "invalid environment variable: \(s)") }
        if s.contains("=") { return s }
        return env[s].map { "\(s)=\($0)" }
    }
}

/// `box run [OPTIONS] IMAGE [COMMAND] [ARG…]`: create a container and run it in the foreground.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and run a new container from an image",
        discussion: "Runs in the foreground; box forwards SIGINT, SIGTERM and SIGHUP and exits with the container's code.")

    @OptionGroup var flags: CreateFlags
    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits")
    var rm = false
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a pseudo-TTY (not available yet)")
    var tty = false
    @Flag(name: [.customShort("d"), .customLong("detach")], help: "Run container in background (not available yet)")
    var detach = false
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]")
    var imageAndCommand: [String] = []

    func run() throws {
        guard let image = imageAndCommand.first else {
            throw BoxError(.invalidArgument, "\"box run\" requires at least 1 argument: box run [OPTIONS] IMAGE [COMMAND] [ARG...]")
        }
        if tty { throw BoxError(.invalidArgument, "-t/--tty is not available yet") }
        if detach { throw BoxError(.invalidArgument, "-d/--detach is not available yet") }
        var options = try flags.options(command: Array(imageAndCommand.dropFirst()))
        options.autoRemove = rm
        let ctx = Context()
        let images = try ctx.images()
        let store = try ctx.containers()
        let cgroups = ctx.cgroups()
        if let cid = flags.cidfile, Files.exists(cid) {
            throw BoxError(.alreadyExists, "container ID file found, make sure the other container isn't running or delete \(cid)")
        }
        try Puller.ensure(image, policy: flags.pull, flags: flags.registry, platform: flags.platform, store: images)
        let record = try Containers.create(imageRef: image, options: options, images: images, store: store, cgroups: cgroups)
        let launcher = Launcher(store: store, cgroups: cgroups)
        // from here on, a failure removes what was made: nothing is left behind
        let code: Int32
        do {
            if let cid = flags.cidfile { try Files.writeAtomic(cid, Array(record.id.utf8)) }
            // signals that box forwards are read from a signalfd; the child unblocks them before exec
            var sigs: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
            let sfd = box_signalfd(&sigs, Int32(sigs.count))
            let stdinFD = options.interactive ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { if stdinFD >= 0 { close(stdinFD) } }
            let started = try launcher.start(record, stdin: stdinFD)
            code = launcher.wait(started, signalFD: sfd)
        } catch {
            // the issue's rule: a run that failed to start leaves no container, cgroup or file behind
            try? launcher.cgroups.remove(record.settings.cgroupPath)
            try? store.delete(record.id)
            if let cid = flags.cidfile { unlink(cid) }
            throw error
        }
        try launcher.finish(record, exitCode: code)
        throw ContainerExit(code: code)
    }
}
