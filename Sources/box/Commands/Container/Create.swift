#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime

/// `box create [OPTIONS] IMAGE [COMMAND] [ARG…]`: make a container without starting it; prints its ID.
struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new container")

    @OptionGroup var flags: CreateFlags
    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits")
    var rm = false
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]")
    var imageAndCommand: [String] = []

    func run() throws {
        guard let image = imageAndCommand.first else {
            throw BoxError(.invalidArgument, "\"box create\" requires at least 1 argument: box create [OPTIONS] IMAGE [COMMAND] [ARG...]")
        }
        var options = try flags.options(command: Array(imageAndCommand.dropFirst()))
        options.autoRemove = rm
        let ctx = Context()
        let images = try ctx.images()
        let store = try ctx.containers()
        if let cid = flags.cidfile, Files.exists(cid) {
            throw BoxError(.alreadyExists, "container ID file found, make sure the other container isn't running or delete \(cid)")
        }
        try Puller.ensure(image, policy: flags.pull, flags: flags.registry, platform: flags.platform, store: images)
        let record = try Containers.create(imageRef: image, options: options, images: images, store: store, cgroups: ctx.cgroups())
        if let cid = flags.cidfile {
            do { try Files.writeAtomic(cid, Array(record.id.utf8)) } catch {
                try? Containers.remove(record, store: store, anonymousVolumes: true)
                throw error
            }
        }
        Output.out(record.id + "\n")
    }
}

/// `box start [-a] [-i] CONTAINER…`: start created or exited containers under a monitor.
struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers")

    @Flag(name: [.customShort("a"), .customLong("attach")], help: "Attach STDOUT/STDERR and forward signals")
    var attach = false
    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Attach container's STDIN")
    var interactive = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container")
    var detachKeys = AttachClient.defaultKeys
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        guard !containers.isEmpty else { throw BoxError(.invalidArgument, "\"box start\" requires at least 1 argument") }
        if (attach || interactive) && containers.count > 1 {
            throw BoxError(.invalidArgument, "you cannot start and attach multiple containers at once")
        }
        let keys = try AttachClient.parseKeys(detachKeys)
        let ctx = Context()
        let store = try ctx.containers()
        if attach || interactive {
            let r = try store.resolve(containers[0])
            let stdin = interactive && r.settings.interactive
            if r.state.status == .running || r.state.status == .paused {
                let sock = try Monitor.connect(id: r.id, store: store)
                throw ContainerExit(code: try AttachClient.attach(sock, tty: r.settings.tty, stdin: stdin, keys: keys) ?? 0)
            }
            throw ContainerExit(code: try AttachClient.runAttached(r, paths: ctx.paths, stdin: stdin, keys: keys, removeOnFailure: false))
        }
        var failure: BoxError?
        for ref in containers {
            do throws(BoxError) {
                let r = try store.resolve(ref)
                if r.state.status != .running && r.state.status != .paused {
                    _ = try Monitor.spawn(id: r.id, paths: ctx.paths, removeOnFailure: false)
                }
                Output.out(ref + "\n")
            } catch {
                Output.error(error.message)
                failure = failure ?? error
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }
}

/// `box attach CONTAINER`: connect this terminal to a running container's stdio.
struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach local standard input, output, and error streams to a running container")

    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN")
    var noStdin = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container")
    var detachKeys = AttachClient.defaultKeys
    @Option(name: .customLong("sig-proxy"), help: "Proxy all received signals to the process")
    var sigProxy = true
    @Argument(help: "CONTAINER")
    var container: String

    func run() throws {
        let keys = try AttachClient.parseKeys(detachKeys)
        let store = try Context().containers()
        let r = try store.resolve(container)
        guard r.state.status == .running || r.state.status == .paused else {
            throw BoxError(.conflict, "you cannot attach to a stopped container, start it first")
        }
        guard r.state.monitorPid != 0 else {
            throw BoxError(.conflict, "container \(container) runs in the foreground of another box command and cannot be attached")
        }
        let stdin = !noStdin && r.settings.interactive
        if r.settings.tty && stdin && !Terminal.isTTY(0) { throw BoxError(.invalidArgument, "the input device is not a TTY") }
        let sock = try Monitor.connect(id: r.id, store: store)
        guard let code = try AttachClient.attach(sock, tty: r.settings.tty, stdin: stdin, keys: keys) else { return }
        throw ContainerExit(code: code)
    }
}

/// `box container-monitor ID`: the monitor of a detached container (not for people: box starts it).
struct ContainerMonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "container-monitor", abstract: "Run a container's monitor",
                                                    shouldDisplay: false)

    @Flag(name: .customLong("attached")) var attached = false
    @Flag(name: .customLong("remove-on-failure")) var removeOnFailure = false
    @Option(name: .customLong("tty-size")) var ttySize: String?
    /// Set by the monitor's C loop when it re-executes box after the container exited.
    @Flag(name: .customLong("resume")) var resume = false
    @Option(name: .customLong("backoff")) var backoff: UInt32 = 100_000
    @Option(name: .customLong("exit-code")) var exitCode: Int32 = 0
    @Option(name: .customLong("fds")) var fds: String = "-1,-1"
    @Option(name: .customLong("clients")) var clients: String = "-"
    @Argument var id: String

    func run() throws {
        let held = fds.split(separator: ",").compactMap { Int32($0) }
        let clientFDs = clients == "-" ? [] : clients.split(separator: ",").compactMap { Int32($0) }
        // the fds this process was given came without close-on-exec; nothing the monitor starts may inherit them
        for fd in (resume ? held + clientFDs : [3, 4]) where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var o = Monitor.Options()
        o.notifyFD = resume ? -1 : 3
        o.clientFD = attached && !resume ? 4 : -1
        o.removeOnFailure = removeOnFailure
        if let s = ttySize {
            let p = s.split(separator: "x").compactMap { UInt16($0) }
            if p.count == 2 { o.ttySize = (p[0], p[1]) }
        }
        let ctx = Context()
        let back = resume && held.count == 2
            ? Monitor.Resume(exitCode: exitCode, listenFD: held[0], signalFD: held[1], clients: clientFDs, backoff: backoff) : nil
        let code = Monitor(store: try ctx.containers(), cgroups: ctx.cgroups()).run(id: id, options: o, resume: back)
        throw ContainerExit(code: code)
    }
}
