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
        let log = try LogFile(r, store: store)
        let p = try launcher.start(r, io: io)
        var relay = box_relay()
        box_relay_init(&relay)
        relay.pidfd = p.pidfd
        relay.out_fd = io.outRead
        relay.err_fd = io.errRead
        relay.local_out = 1
        relay.local_err = 2
        relay.signal_fd = signalFD
        log?.attach(to: &relay)
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

    /// The monitor's life; returns its exit status.
    public func run(id: String, options: Options) -> Int32 {
        var notify = options.notifyFD
        let runDir = store.paths.runContainer(id)
        try? Files.mkdirAll(runDir, mode: 0o700)
        let listenFD = box_unix_listen(runDir, "attach")
        defer { if listenFD >= 0 { close(listenFD); unlink(store.attachSocketPath(id)) } }
        var sigs: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        let signalFD = box_signalfd(&sigs, Int32(sigs.count))
        var client = options.clientFD
        var backoff: UInt32 = 100_000
        while true {
            let startedAt = Time.nowSeconds()
            let io: ContainerIO
            let log: LogFile?
            let p: StartedProcess
            do throws(BoxError) {
                let r = try store.resolve(id)
                io = try ContainerIO(tty: r.settings.tty, stdin: r.settings.interactive ? .pipe : .null)
                io.size = options.ttySize
                log = try LogFile(r, store: store)
                p = try launcher.start(r, io: io, monitorPid: getpid())
            } catch {
                failStart(id, error, notify: notify, remove: options.removeOnFailure)
                return error.exitCode
            }
            if notify >= 0 {
                Self.report(notify, "ok")
                close(notify)
                notify = -1
            }
            var relay = box_relay()
            box_relay_init(&relay)
            relay.pidfd = p.pidfd
            relay.out_fd = io.outRead
            relay.err_fd = io.errRead
            relay.in_fd = io.inWrite
            relay.master_fd = io.master
            relay.signal_fd = signalFD
            relay.listen_fd = listenFD
            if client >= 0 {
                box_relay_add_client(&relay, client)
                client = -1
            }
            log?.attach(to: &relay)
            var checker: Int32 = 0
            if let hc = try? store.resolve(id).settings.healthcheck { relay.timer_ms = Int32(clamping: max(hc.interval / 1_000_000, 1)) }
            while box_relay_run(&relay) == BOX_RELAY_TIMER {
                // one check at a time; each enforces its own timeout
                var status: Int32 = 0
                if checker > 0 && waitpid(checker, &status, WNOHANG) == 0 { continue }
                checker = Self.spawnHealthCheck(id: id, paths: store.paths)
            }
            let code = launcher.reap(p)
            io.close()
            guard let current = try? store.resolve(id) else {
                // removed while it ran (`rm -f`): nothing is left to record
                box_relay_finish(&relay, code)
                return 0
            }
            let restart = Self.shouldRestart(current, exitCode: code)
            let saved = try? launcher.finish(current, exitCode: code, restarting: restart)
            box_relay_finish(&relay, code)
            guard restart, saved != nil else { return 0 }
            // Docker's backoff: 100 ms doubling to a minute, back to 100 ms after a run of 10 s or more
            if Time.nowSeconds() - startedAt >= 10 { backoff = 100_000 }
            if !waitForRestart(id, microseconds: backoff) { return 0 }
            backoff = min(backoff * 2, 60_000_000)
            _ = try? store.update(id) { (c) throws(BoxError) in c.state.restartCount += 1 }
        }
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
                try? store.delete(id)
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
