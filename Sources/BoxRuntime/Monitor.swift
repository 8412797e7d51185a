#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxOS
import CBox

/// A container's parent for its whole life: the foreground `box run`, or for a detached container its
/// monitor, the `box` binary re-executed in a session of its own (`box container-monitor ID`).
///
/// The monitor starts the container as its child, relays its output to the log and to attached clients
/// (`box attach`, the socket `attach` in the container's run directory), records each exit, restarts it as
/// its policy says, and exits with it: nothing of box's outlives the container.
public struct Monitor {
    public let store: ContainerStore
    public let cgroups: any CgroupBackend
    var launcher: Launcher { Launcher(store: store, cgroups: cgroups) }

    public init(store: ContainerStore, cgroups: any CgroupBackend) {
        self.store = store
        self.cgroups = cgroups
    }

    /// A foreground run without a tty: the container's output is logged and copied to box's own stdout and
    /// stderr, the signals of `signalFD` are forwarded. Returns the exit code, recorded.
    public func runForeground(_ r: ContainerRecord, stdin: ContainerIO.Stdin, signalFD: Int32) throws(BoxError) -> Int32 {
        let io = try ContainerIO(tty: false, stdin: stdin)
        let log = try LogTarget(r, store: store)?.open()
        let p = try launcher.start(r, io: io)
        var relay = Self.relay(p, io, signalFD: signalFD, log: log)
        relay.local_out = 1
        relay.local_err = 2
        _ = box_relay_run(&relay)
        let code = launcher.reap(p)
        io.close()
        try launcher.finish(r, exitCode: code)
        return code
    }

    /// What the monitor is told by the command that starts it.
    public struct Options: Sendable {
        /// fd 3: where "ok", or the first start's error, is reported.
        public var notifyFD: Int32 = -1
        /// fd 4: a client attached from the start (`run -it`, `start -a`), or -1.
        public var clientFD: Int32 = -1
        /// A failed first start removes the container (`run -d`); `start` keeps it.
        public var removeOnFailure = false
        /// The pty's first size, from the caller's terminal.
        public var ttySize: (rows: UInt16, cols: UInt16) = (0, 0)

        public init() {}
    }

    /// What the monitor's C loop hands back when it re-executes box after the container exited.
    public struct Resume: Sendable {
        public var exitCode: Int32
        public var listenFD: Int32
        public var signalFD: Int32
        public var clients: [Int32]
        public var backoff: UInt32

        public init(exitCode: Int32, listenFD: Int32, signalFD: Int32, clients: [Int32], backoff: UInt32) {
            self.exitCode = exitCode
            self.listenFD = listenFD
            self.signalFD = signalFD
            self.clients = clients
            self.backoff = backoff
        }
    }

    /// The monitor's life; returns its exit status. Each time the container runs, the long wait is handed to
    /// the C loop of `CBox/monitor.c` (box re-executed), which comes back here with `resume` when it exits.
    public func run(id: String, options: Options, resume: Resume? = nil) -> Int32 {
        var notify = options.notifyFD
        let listenFD: Int32
        let signalFD: Int32
        var clients: [Int32]
        var backoff: UInt32 = resume?.backoff ?? 100_000
        if let resume {
            (listenFD, signalFD, clients) = (resume.listenFD, resume.signalFD, resume.clients)
        } else {
            let runDir = store.paths.runContainer(id)
            try? Files.mkdirAll(runDir, mode: 0o700)
            listenFD = box_unix_listen(runDir, "attach")
            var sigs: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
            signalFD = box_signalfd(&sigs, Int32(sigs.count))
            clients = options.clientFD >= 0 ? [options.clientFD] : []
        }
        defer { if listenFD >= 0 { close(listenFD); unlink(store.attachSocketPath(id)) } }
        var exited = resume?.exitCode
        while true {
            if let code = exited {
                guard afterExit(id, code: code, clients: clients, backoff: &backoff) else { return 0 }
                clients = []
                exited = nil
            }
            let io: ContainerIO
            let p: StartedProcess
            let r: ContainerRecord
            do throws(BoxError) {
                r = try store.resolve(id)
                io = try ContainerIO(tty: r.settings.tty, stdin: r.settings.interactive ? .pipe : .null)
                io.size = options.ttySize
                p = try launcher.start(r, io: io, monitorPid: getpid())
            } catch {
                failStart(id, error, notify: notify, remove: options.removeOnFailure)
                Self.finishClients(clients, error.exitCode)
                return error.exitCode
            }
            if notify >= 0 {
                Self.report(notify, "ok")
                close(notify)
                notify = -1
            }
            // returns only when box cannot be re-executed: then this process waits itself
            execLoop(r, p, io, signalFD: signalFD, listenFD: listenFD, clients: clients, backoff: backoff)
            (exited, clients) = relayInProcess(r, p, io, signalFD: signalFD, listenFD: listenFD, clients: clients)
        }
    }

    /// Records an exit, sends it to the attached clients and, when the policy says so, waits out the backoff;
    /// whether to start the container again.
    private func afterExit(_ id: String, code: Int32, clients: [Int32], backoff: inout UInt32) -> Bool {
        guard let current = try? store.resolve(id) else {
            // removed while it ran (`rm -f`): nothing is left to record
            Self.finishClients(clients, code)
            return false
        }
        let restart = Self.shouldRestart(current, exitCode: code)
        let saved = try? launcher.finish(current, exitCode: code, restarting: restart)
        Self.finishClients(clients, code)
        guard restart, saved != nil else { return false }
        // Docker's backoff: 100 ms doubling to a minute, back to 100 ms after a run of 10 s or more
        let startedAt = current.state.startedAt.flatMap(Time.parse) ?? 0
        if Time.nowSeconds() - startedAt >= 10 { backoff = 100_000 }
        if !waitForRestart(id, microseconds: backoff) { return false }
        backoff = min(backoff * 2, 60_000_000)
        _ = try? store.update(id) { (c) throws(BoxError) in c.state.restartCount += 1 }
        return true
    }

    /// A relay of the container's output (to `log` when there is one), passing on the signals of `signalFD`.
    static func relay(_ p: StartedProcess, _ io: ContainerIO, signalFD: Int32, log: LogWriter?) -> box_relay {
        var relay = box_relay()
        box_relay_init(&relay)
        relay.pidfd = p.pidfd
        relay.out_fd = io.outRead
        relay.err_fd = io.errRead
        relay.signal_fd = signalFD
        log?.attach(to: &relay)
        return relay
    }

    /// Sends the exit code to attached clients and closes them.
    static func finishClients(_ fds: [Int32], _ code: Int32) {
        guard !fds.isEmpty else { return }
        var relay = box_relay()
        box_relay_init(&relay)
        for fd in fds { box_relay_add_client(&relay, fd) }
        box_relay_finish(&relay, code)
    }

    /// Re-executes box as the C loop (`container-monitor-loop`), handing it the container and every fd it needs.
    private func execLoop(_ r: ContainerRecord, _ p: StartedProcess, _ io: ContainerIO, signalFD: Int32, listenFD: Int32,
                          clients: [Int32], backoff: UInt32) {
        guard let exe = try? Self.selfExe() else { return }
        let fds = [p.pidfd, p.pid, io.outRead, io.errRead, io.inWrite, io.master, signalFD, listenFD]
        for fd in [p.pidfd, io.outRead, io.errRead, io.inWrite, io.master, signalFD, listenFD] + clients where fd >= 0 {
            _ = fcntl(fd, F_SETFD, 0)
        }
        let log = (try? LogTarget(r, store: store))??.loopArgument ?? "-"
        let health = r.settings.healthcheck?.intervalMilliseconds ?? 0
        let args = [exe, "container-monitor-loop", fds.map(String.init).joined(separator: ","),
                    clients.isEmpty ? "-" : clients.map(String.init).joined(separator: ","), log, "\(health)",
                    exe, "--root", store.paths.root, "--runroot", store.paths.runRoot, "container-monitor", r.id,
                    "--resume", "--backoff", "\(backoff)"]
        let cargs = args.map { strdup($0) } + [nil]
        _ = cargs.withUnsafeBufferPointer { execv(exe, $0.baseAddress!) }
        for a in cargs { free(a) }
    }

    /// The wait in this process, when box could not be re-executed; returns the container's exit code and
    /// the clients still attached, which get the code once it is recorded.
    private func relayInProcess(_ r: ContainerRecord, _ p: StartedProcess, _ io: ContainerIO, signalFD: Int32,
                                listenFD: Int32, clients: [Int32]) -> (Int32, [Int32]) {
        let log = try? LogTarget(r, store: store)?.open()
        var relay = Self.relay(p, io, signalFD: signalFD, log: log)
        relay.in_fd = io.inWrite
        relay.master_fd = io.master
        relay.listen_fd = listenFD
        for fd in clients { box_relay_add_client(&relay, fd) }
        var checker: Int32 = 0
        relay.timer_ms = Int32(r.settings.healthcheck?.intervalMilliseconds ?? 0)
        while box_relay_run(&relay) == BOX_RELAY_TIMER {
            // one check at a time; each enforces its own timeout
            var status: Int32 = 0
            if checker > 0 && waitpid(checker, &status, WNOHANG) == 0 { continue }
            checker = Self.spawnHealthCheck(id: r.id, paths: store.paths)
        }
        let code = launcher.reap(p)
        io.close()
        let left = withUnsafeBytes(of: relay.clients) { Array($0.bindMemory(to: Int32.self).prefix(Int(relay.n_clients))) }
        return (code, left)
    }

    /// Whether the policy restarts a container that exited with `code`.
    public static func shouldRestart(_ r: ContainerRecord, exitCode code: Int32) -> Bool {
        if r.state.manuallyStopped { return false }
        let policy = r.settings.restartPolicy
        switch policy.name {
        case "always", "unless-stopped": return true
        case "on-failure": return code != 0 && (policy.maximumRetryCount == 0 || r.state.restartCount < policy.maximumRetryCount)
        default: return false
        }
    }

    /// Sleeps before a restart, watching for `box stop` (or `rm`); false when the restart is off.
    private func waitForRestart(_ id: String, microseconds: UInt32) -> Bool {
        var left = Int(microseconds)
        while left > 0 {
            usleep(UInt32(min(left, 50_000)))
            left -= 50_000
            guard let r = try? store.resolve(id) else { return false }
            if r.state.manuallyStopped {
                _ = try? store.update(id) { (c) throws(BoxError) in
                    c.state.status = .exited
                    c.state.monitorPid = 0
                }
                return false
            }
        }
        return true
    }

    /// A start that failed: the first is reported to the caller (and with `run -d` the container removed);
    /// a restart's failure is recorded in the state.
    private func failStart(_ id: String, _ error: BoxError, notify: Int32, remove: Bool) {
        try? cgroups.remove(Cgroups.path(forContainer: id))
        if notify >= 0 {
            if remove {
                // with its anonymous volumes: a run that never started leaves nothing
                if let r = try? store.resolve(id) { try? Containers.remove(r, store: store, anonymousVolumes: true) }
            } else {
                _ = try? store.update(id) { (c) throws(BoxError) in c.state.error = error.message }
            }
            Self.report(notify, "ERR \(error.exitCode) \(error.message)")
            close(notify)
            return
        }
        _ = try? store.update(id) { (c) throws(BoxError) in
            c.state.status = .exited
            c.state.error = error.message
            c.state.exitCode = error.exitCode
            c.state.pid = 0
            c.state.monitorPid = 0
            c.state.finishedAt = Time.now()
        }
    }

    static func report(_ fd: Int32, _ line: String) {
        var text = line + "\n"
        text.withUTF8 { p in _ = write(fd, p.baseAddress, p.count) }
    }
}
