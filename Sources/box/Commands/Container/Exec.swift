#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime
import CBox

/// `box exec [OPTIONS] CONTAINER COMMAND [ARG…]`: run a command in a running container.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Execute a command in a running container",
        discussion: """
        The command joins all of the container's namespaces and its cgroup, with the container's environment, \
        user, capabilities and working directory unless the options say otherwise. box forwards SIGINT, SIGTERM, \
        SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it and exits with its code (125: box's own error, 126: the \
        command cannot be invoked, 127: it was not found).
        """)

    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Keep STDIN open and pass it to the command")
    var interactive = false
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a pseudo-TTY")
    var tty = false
    @Flag(name: [.customShort("d"), .customLong("detach")], help: "Detached mode: run command in the background")
    var detach = false
    @Option(name: [.customShort("e"), .customLong("env")], help: "Set environment variables (KEY=VALUE, or KEY to pass the caller's)")
    var env: [String] = []
    @Option(name: .customLong("env-file"), help: "Read in a file of environment variables")
    var envFile: [String] = []
    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container")
    var workdir: String?
    @Option(name: [.customShort("u"), .customLong("user")], help: "Username or UID (format: <name|uid>[:<group|gid>])")
    var user: String?
    @Flag(name: .customLong("privileged"), help: "Give extended privileges to the command")
    var privileged = false
    @Argument(parsing: .captureForPassthrough, help: "CONTAINER COMMAND [ARG...]")
    var containerAndCommand: [String] = []

    func run() throws {
        guard containerAndCommand.count >= 2 else {
            throw BoxError(.invalidArgument, "\"box exec\" requires at least 2 arguments: box exec [OPTIONS] CONTAINER COMMAND [ARG...]")
        }
        var options = ExecOptions(command: Array(containerAndCommand.dropFirst()))
        options.env = try environment()
        if let w = workdir, !w.hasPrefix("/") {
            throw BoxError(.invalidArgument, "the working directory '\(w)' is invalid, it needs to be an absolute path")
        }
        options.workdir = workdir
        options.user = user
        options.privileged = privileged
        options.detach = detach
        // with -d nobody holds the master: the command gets /dev/null, as Docker's detached exec output goes nowhere
        options.tty = tty && !detach
        let ctx = Context()
        let store = try ctx.containers()
        let record = try store.resolve(containerAndCommand[0])
        let executor = Executor(cgroups: ctx.cgroups(), paths: ctx.paths)
        let launcher = Launcher(store: store, cgroups: executor.cgroups)

        if detach {
            let null = try check("open", "/dev/null") { open("/dev/null", O_RDWR | O_CLOEXEC) }
            defer { close(null) }
            var stdio = Executor.Stdio()
            (stdio.stdin, stdio.stdout, stdio.stderr) = (null, null, null)
            _ = try executor.start(record, options, stdio: stdio)
            return
        }
        // signals that box forwards are read from a signalfd; the command's process unblocks them before exec
        var sigs: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        if options.tty { sigs.append(SIGWINCH) }
        let sfd = box_signalfd(&sigs, Int32(sigs.count))
        if options.tty {
            throw ContainerExit(code: try runWithTTY(record, options, executor: executor, launcher: launcher, signalFD: sfd))
        }
        var stdio = Executor.Stdio()
        if !interactive { stdio.stdin = try check("open", "/dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) } }
        defer { if stdio.stdin >= 0 { close(stdio.stdin) } }
        guard let started = try executor.start(record, options, stdio: stdio) else { return }
        throw ContainerExit(code: launcher.wait(started, signalFD: sfd))
    }

    /// `-t`: the command's process opens a pty in the container's devpts and sends its master back; box relays
    /// between it and its own stdio (in raw mode when that is a terminal) until the command exits.
    private func runWithTTY(_ record: ContainerRecord, _ options: ExecOptions, executor: Executor, launcher: Launcher,
                            signalFD: Int32) throws(BoxError) -> Int32 {
        var sv: [Int32] = [-1, -1]
        try check("socketpair", "console") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) }
        defer { close(sv[0]) }
        var stdio = Executor.Stdio()
        stdio.console = sv[1]
        let local = Terminal.isTTY(0) ? Int32(0) : (Terminal.isTTY(1) ? Int32(1) : -1)
        if local >= 0 { _ = box_tty_get_size(local, &stdio.rows, &stdio.cols) }
        let started: StartedProcess?
        do throws(BoxError) {
            started = try executor.start(record, options, stdio: stdio)
            close(sv[1])
        } catch {
            close(sv[1])
            throw error
        }
        guard let started else { return 0 }
        let master = box_recv_fd(sv[0])
        guard master >= 0 else {
            let e = errno
            box_pidfd_send_signal(started.pidfd, SIGKILL)
            _ = launcher.wait(started, signalFD: -1)
            throw BoxError.sys("receive the pty of the exec'd process", errno: e == 0 ? EPIPE : e)
        }
        defer { close(master) }
        // raw mode only when box reads keys from a terminal: the container's pty does the line editing
        let terminal = interactive && Terminal.isTTY(0) ? Terminal(fd: 0) : nil
        terminal?.makeRaw()
        defer { terminal?.restore() }
        var relay = box_relay()
        box_relay_init(&relay)
        relay.pidfd = started.pidfd
        relay.out_fd = master
        relay.master_fd = master
        relay.in_fd = interactive ? master : -1
        relay.local_in = interactive ? 0 : -1
        relay.local_out = 1
        relay.signal_fd = signalFD
        relay.local_tty = local
        _ = box_relay_run(&relay)
        return launcher.wait(started, signalFD: -1)
    }

    /// `--env-file` lines, then `-e` values; a bare `KEY` takes the caller's value, or is dropped (Docker).
    private func environment() throws(BoxError) -> [String] {
        let caller = Environment.current
        func value(_ s: String) throws(BoxError) -> String? {
            if s.isEmpty || s.hasPrefix("=") { throw BoxError(.invalidArgument, "invalid environment variable: \(s)") }
            return s.contains("=") ? s : caller[s].map { "\(s)=\($0)" }
        }
        var out: [String] = []
        for file in envFile {
            for line in String(decoding: try Files.read(file), as: UTF8.self).split(separator: "\n") {
                let l = line.drop { $0 == " " || $0 == "\t" }
                if l.isEmpty || l.hasPrefix("#") { continue }
                if let kv = try value(String(l)) { out.append(kv) }
            }
        }
        for e in env { if let kv = try value(e) { out.append(kv) } }
        return out
    }
}
