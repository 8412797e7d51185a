#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxOCI
import BoxOS
import BoxSeccomp
import CBox

/// A container process that has been started: its pid and a pidfd that names it for good.
public struct StartedProcess: Sendable {
    public let pid: Int32
    public let pidfd: Int32
}

/// Starts containers: the parent side of the start protocol.
///
/// 1. the C child is cloned into new namespaces and waits; 2. the parent lets it set up its root, and meanwhile
/// puts it in its cgroup and records its pid and start time; 3. the parent releases it; 4. the child unshares
/// its cgroup namespace, drops privileges and execs, or reports the failed step on the error pipe.
public struct Launcher: Sendable {
    public let store: ContainerStore
    public let cgroups: any CgroupBackend

    public init(store: ContainerStore, cgroups: any CgroupBackend) {
        self.store = store
        self.cgroups = cgroups
    }

    /// Writes `hosts`, `hostname` and `resolv.conf` for the container into its run directory.
    public func writeEtcFiles(_ r: ContainerRecord) throws(BoxError) {
        let dir = store.paths.runContainer(r.id)
        try Files.mkdirAll(dir, mode: 0o755)
        let hostname = r.spec.hostname ?? r.shortID
        try Files.write(dir + "/hostname", Array("\(hostname)\n".utf8))
        try Files.write(dir + "/hosts", Array(EtcFiles.hosts(hostname: hostname, network: r.settings.networkMode).utf8))
        try Files.write(dir + "/resolv.conf", Array(EtcFiles.resolvConf(network: r.settings.networkMode).utf8))
    }

    /// Starts the container of `r` with the stdio of `io` (fds of -1 inherit box's own).
    /// `monitorPid` is recorded as the container's monitor (0: a foreground `box run` waits for it).
    /// On failure the child is gone, the cgroup removed, and the error says which step failed.
    public func start(_ r: ContainerRecord, io: ContainerIO, monitorPid: Int32 = 0) throws(BoxError) -> StartedProcess {
        let p = try spawn(r, stdin: io.childIn, stdout: io.childOut, stderr: io.childErr, console: io.consoleChild,
                          size: io.size, monitorPid: monitorPid)
        do throws(BoxError) {
            try io.childStarted()
        } catch {
            box_pidfd_send_signal(p.pidfd, SIGKILL)
            _ = reap(p)
            try? cgroups.remove(r.settings.cgroupPath)
            throw error
        }
        return p
    }

    private func spawn(_ r: ContainerRecord, stdin: Int32, stdout: Int32, stderr: Int32, console: Int32,
                       size: (rows: UInt16, cols: UInt16), monitorPid: Int32) throws(BoxError) -> StartedProcess {
        try writeEtcFiles(r)
        let arena = CArena()
        let spec = r.spec
        let cgroupPath = r.settings.cgroupPath
        // the cgroup exists, with its limits, before the process: the child binds it at /sys/fs/cgroup, and
        // the process never runs unlimited
        try cgroups.create(cgroupPath)
        do throws(BoxError) {
            if let limits = spec.linux.resources { try cgroups.apply(limits, to: cgroupPath) }
        } catch {
            try? cgroups.remove(cgroupPath)
            throw error
        }
        let mounts = mountList(spec, arena: arena, cgroup: CgroupMount(cgroups, path: cgroupPath))
        let base = store.dir(r.id)
        let layersDir = store.paths.layers
        // lowerdir entries relative to the layers directory keep the option short (the page-size limit)
        let lowers = r.lowerDirs.map { $0.hasPrefix(layersDir + "/") ? String($0.dropFirst(layersDir.count + 1)) : $0 }
        let overlay = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(base)/upper,workdir=\(base)/work"
        let nsTypes = Set(spec.linux.namespaces.map(\.type))
        // the cgroup namespace is unshared by the child once it is in its cgroup
        let flags = Executor.namespaceFlags(Array(nsTypes)) & ~BOX_CLONE_NEWCGROUP
        let caps = try Capabilities.mask(spec.process.capabilities.bounding)
        let effective = try Capabilities.mask(spec.process.capabilities.effective)
        let pathEnv = spec.process.env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
        let groups = (spec.process.user.additionalGids ?? []).map { gid_t($0) }
        let mountArray = arena.array(mounts)
        var cfg = box_spawn_config()
        cfg.clone_flags = flags
        cfg.unshare_cgroupns = nsTypes.contains("cgroup") ? 1 : 0
        cfg.rootfs = arena.string(base + "/rootfs")
        cfg.overlay_data = arena.string(overlay)
        cfg.overlay_cwd = arena.string(layersDir)
        cfg.mounts = mountArray
        cfg.n_mounts = Int32(mounts.count)
        cfg.readonly_rootfs = spec.root.readonly ? 1 : 0
        cfg.hostname = nsTypes.contains("uts") ? arena.optional(spec.hostname) : nil
        cfg.loopback_up = nsTypes.contains("network") ? 1 : 0
        cfg.cwd = arena.string(spec.process.cwd)
        cfg.argv = arena.strings(spec.process.args)
        cfg.envp = arena.strings(spec.process.env)
        cfg.path = arena.optional(pathEnv)
        cfg.uid = spec.process.user.uid
        cfg.gid = spec.process.user.gid
        cfg.groups = arena.array(groups)
        cfg.n_groups = Int32(groups.count)
        cfg.cap_bounding = caps
        cfg.cap_effective = effective
        cfg.no_new_privs = spec.process.noNewPrivileges ? 1 : 0
        cfg.stdin_fd = stdin
        cfg.stdout_fd = stdout
        cfg.stderr_fd = stderr
        cfg.death_signal = SIGKILL
        cfg.console_fd = console
        cfg.tty_rows = size.rows
        cfg.tty_cols = size.cols
        cfg.`init` = r.settings.initProcess ? 1 : 0
        setLimits(spec.process, on: &cfg, arena: arena)
        // compiled here, in the parent: the child only installs it
        setSeccomp(try SpecBuilder.seccompProgram(for: r, cache: SeccompCache(directory: store.paths.runRoot + "/seccomp")),
                   on: &cfg, arena: arena)

        var pidfd: Int32 = -1, releaseFD: Int32 = -1, errorFD: Int32 = -1
        let pid = box_spawn(&cfg, &pidfd, &releaseFD, &errorFD)
        if pid < 0 {
            let e = errno
            try? cgroups.remove(cgroupPath)
            throw BoxError.sys("clone container process", errno: e)
        }
        // the child mounts its root while this process moves it into its cgroup and records it
        var failure: BoxError?
        if box_spawn_go(releaseFD) != 0 {
            failure = BoxError.sys("start container process", errno: errno)
        } else {
            do throws(BoxError) {
                try cgroups.add(pid: pid, to: cgroupPath)
                let startTime = ProcessInfo.startTime(pid) ?? 0
                let monitorStart = monitorPid > 0 ? ProcessInfo.startTime(monitorPid) ?? 0 : 0
                try store.update(r.id) { (c) throws(BoxError) in
                    c.state.status = .running
                    c.state.pid = pid
                    c.state.pidStartTime = startTime
                    c.state.exitCode = 0
                    c.state.startedAt = Time.now()
                    c.state.error = nil
                    c.state.oomKilled = false
                    c.state.manuallyStopped = false
                    c.state.monitorPid = monitorPid
                    c.state.monitorStartTime = monitorStart
                    if c.settings.healthcheck != nil {
                        c.state.health = HealthState(status: "starting", failingStreak: 0, log: c.state.health?.log ?? [])
                    }
                }
            } catch {
                failure = error
            }
        }
        if failure == nil {
            // box_spawn_release closes the fd whether or not its write succeeds
            if box_spawn_release(releaseFD) != 0 { failure = BoxError.sys("release container process", errno: errno) }
        } else {
            close(releaseFD)  // EOF: a child still waiting exits
        }
        if failure != nil { box_pidfd_send_signal(pidfd, SIGKILL) }
        // a report from the child names the real cause, even when the parent's step failed after it
        var report = box_child_error()
        let got = box_spawn_result(errorFD, &report)
        close(errorFD)
        if got != 0 || failure != nil {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            close(pidfd)
            try? cgroups.remove(cgroupPath)
            if got == 1 { throw Launcher.error(from: report) }
            throw failure ?? BoxError(.system, "container process exited during setup")
        }
        return StartedProcess(pid: pid, pidfd: pidfd)
    }

    /// The error a child reported: its step and errno, and the exit code it implies.
    static func error(from report: box_child_error) -> BoxError {
        let step = withUnsafeBytes(of: report.step) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch report.exit_code {
        case 127: return BoxError(.commandNotFound, step)
        case 126: return BoxError(.cannotInvoke, "\(step): \(errnoText(report.err))")
        default: return BoxError(.system, "\(step): \(errnoText(report.err))", errno: report.err)
        }
    }

    /// Waits for the container's process, forwarding the signals that arrive on `signalFD`;
    /// returns the exit code as a shell shows it (128+N for a signal).
    public func wait(_ p: StartedProcess, signalFD: Int32) -> Int32 {
        var fds = [pollfd(fd: p.pidfd, events: Int16(POLLIN), revents: 0), pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
        let watchSignals = signalFD >= 0
        while true {
            let n = poll(&fds, watchSignals ? 2 : 1, -1)
            if n < 0 && errno == EINTR { continue }
            if watchSignals && fds[1].revents & Int16(POLLIN) != 0 {
                let sig = box_signalfd_read(signalFD)
                if sig > 0 && sig != SIGCHLD { box_pidfd_send_signal(p.pidfd, sig) }
            }
            if fds[0].revents != 0 { break }
        }
        return reap(p)
    }

    /// Collects the exited container process; returns its exit code as a shell shows it (128+N for a signal).
    public func reap(_ p: StartedProcess) -> Int32 {
        var status: Int32 = 0
        while waitpid(p.pid, &status, 0) < 0 && errno == EINTR {}
        close(p.pidfd)
        if box_wifexited(status) != 0 { return box_wexitstatus(status) }
        if box_wifsignaled(status) != 0 { return 128 + box_wtermsig(status) }
        return 125
    }

    /// Records the exit and releases what the run held: the cgroup, and with `--rm` the whole container.
    /// `restarting` records it as waiting for a restart instead. Returns the record as saved, or nil when the
    /// container is gone (removed meanwhile, or by `--rm`).
    @discardableResult
    public func finish(_ r: ContainerRecord, exitCode: Int32, restarting: Bool = false) throws(BoxError) -> ContainerRecord? {
        // the OOM killer's count is read before the cgroup goes
        let oom = cgroups.oomKills(r.settings.cgroupPath) > 0
        cgroups.killAll(r.settings.cgroupPath)
        try? cgroups.remove(r.settings.cgroupPath)
        if r.settings.autoRemove && !restarting {
            try Containers.remove(r, store: store, anonymousVolumes: true)
            return nil
        }
        do {
            return try store.update(r.id) { (c) throws(BoxError) in
                c.state.status = restarting ? .restarting : .exited
                c.state.exitCode = exitCode
                c.state.oomKilled = oom
                c.state.finishedAt = Time.now()
                c.state.pid = 0
                if !restarting { c.state.monitorPid = 0 }
                if c.state.health != nil { c.state.health?.status = "unhealthy" }
            }
        } catch where error.code == .notFound {
            // another command (`rm -f`) removed the container while it ran: nothing is left to record
            return nil
        }
    }
}

/// The generated `/etc` files of a container.
public enum EtcFiles {
    public static func hosts(hostname: String, network: String) -> String {
        if network == "host", let host = try? Files.read("/etc/hosts") { return String(decoding: host, as: UTF8.self) }
        return """
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        ff00::0\tip6-mcastprefix
        ff02::1\tip6-allnodes
        ff02::2\tip6-allrouters
        127.0.0.1\t\(hostname)

        """
    }

    /// The host's resolv.conf; outside the host network, loopback name servers (unreachable there) are dropped.
    public static func resolvConf(network: String) -> String {
        let host = (try? Files.read("/etc/resolv.conf")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if network == "host" { return host }
        return host.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            return !(f.count >= 2 && f[0] == "nameserver" && (f[1].hasPrefix("127.") || f[1] == "::1"))
        }.joined(separator: "\n")
    }
}
