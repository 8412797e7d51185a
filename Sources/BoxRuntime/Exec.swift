#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxOCI
import BoxOS
import BoxSeccomp
import CBox

/// What a user asked for with `box exec`.
public struct ExecOptions: Sendable {
    /// The command and its arguments; a name without `/` is looked up in the container's `$PATH`.
    public var command: [String]
    /// `-e` values, `KEY=VALUE`, added to the container's environment (a later key replaces an earlier one).
    public var env: [String] = []
    /// `-w`: nil keeps the container's working directory.
    public var workdir: String?
    /// `-u USER[:GROUP]`, resolved in the container's own `/etc/passwd` and `/etc/group`; nil keeps the container's user.
    public var user: String?
    /// `--privileged`: every capability, in the bounding set and (for root) the effective set.
    public var privileged = false
    /// `-t`: the command's stdio is a pseudo-terminal of the container's devpts.
    public var tty = false
    /// `-d`: the command is left running, reparented to the container's init.
    public var detach = false

    public init(command: [String]) { self.command = command }
}

/// Starts commands in running containers: the parent side of `box exec`.
///
/// The C helper (`box_exec`, `CBox/exec.c`) joins the container's cgroup and, through a pidfd of its init, its
/// namespaces, then clones the command's process as a child of this process. Everything the command gets comes
/// from the container's record: the namespaces to join (`linux.namespaces`), the environment, the user, the
/// capability sets and `no_new_privileges` of its spec, its cgroup path.
public struct Executor: Sendable {
    public let cgroups: any CgroupBackend
    /// Where compiled seccomp programs are kept (the run root's `seccomp/`); nil compiles each time.
    public let seccompCache: SeccompCache

    public init(cgroups: any CgroupBackend, paths: BoxPaths? = nil) {
        self.cgroups = cgroups
        self.seccompCache = SeccompCache(directory: paths.map { $0.runRoot + "/seccomp" })
    }

    /// The stdio of an exec's command: fds to dup onto 0, 1, 2 (-1 keeps box's own), or, for a tty, the
    /// socket over which the command's process sends the master of the pty it opens, and the pty's size.
    public struct Stdio: Sendable {
        public var stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1
        public var console: Int32 = -1
        public var rows: UInt16 = 0, cols: UInt16 = 0

        public init() {}
    }

    /// Starts `options.command` in the running container `r`. Returns the command's process, which the
    /// caller waits for; nil with `detach`, where nothing is left to wait for.
    /// Fails with 125 (box's own error, a container that is not running), 126 (cannot invoke) or 127 (not found).
    public func start(_ r: ContainerRecord, _ options: ExecOptions, stdio: Stdio) throws(BoxError) -> StartedProcess? {
        guard !options.command.isEmpty else { throw BoxError(.invalidArgument, "no command specified") }
        let initFD = try Executor.openInit(r)
        defer { close(initFD) }
        let spec = r.spec
        let arena = CArena()
        let process = try processConfig(r, options, stdio: stdio, arena: arena)

        var taskFDs: [Int32] = []
        var dirFD: Int32 = -1
        defer {
            for fd in taskFDs { close(fd) }
            if dirFD >= 0 { close(dirFD) }
        }
        try openCgroup(r.settings.cgroupPath, taskFDs: &taskFDs, dirFD: &dirFD)

        var cfg = box_exec_config()
        cfg.pidfd = initFD
        cfg.ns_flags = Executor.namespaceFlags(spec.linux.namespaces.map(\.type))
        cfg.cgroup_task_fds = arena.array(taskFDs)
        cfg.n_cgroup_task_fds = Int32(taskFDs.count)
        cfg.cgroup_dir_fd = dirFD
        cfg.detach = options.detach ? 1 : 0
        cfg.process = process

        var pid: pid_t = 0
        var report = box_child_error()
        let rc = box_exec(&cfg, &pid, &report)
        if rc < 0 { throw BoxError.sys("start the exec's helper process", errno: errno) }
        if rc == 1 {
            // the container stopped between the check and the join
            if !ProcessInfo.isAlive(r.state.pid, startTime: r.state.pidStartTime) { throw Executor.notRunning(r) }
            throw Launcher.error(from: report)
        }
        guard pid > 0 else { return nil }
        // the command is our child and not yet waited for, so its pid cannot have been reused
        let pidfd = box_pidfd_open(pid)
        if pidfd < 0 {
            let e = errno
            var status: Int32 = 0
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw BoxError.sys("open pidfd of the exec'd process", errno: e)
        }
        return StartedProcess(pid: pid, pidfd: pidfd)
    }

    /// A pidfd of the container's init, which must be running (and not paused): Docker's errors otherwise.
    static func openInit(_ r: ContainerRecord) throws(BoxError) -> Int32 {
        if r.state.status == .paused {
            throw BoxError(.conflict, "container \(r.id) is paused, unpause the container before exec")
        }
        guard r.state.status == .running, r.state.pid > 0 else { throw notRunning(r) }
        let fd = box_pidfd_open(r.state.pid)
        guard fd >= 0 else { throw notRunning(r) }
        // checked after the pidfd is open: from here on the pidfd names this process, even if the pid is reused
        guard ProcessInfo.isAlive(r.state.pid, startTime: r.state.pidStartTime) else {
            close(fd)
            throw notRunning(r)
        }
        return fd
    }

    static func notRunning(_ r: ContainerRecord) -> BoxError {
        BoxError(.conflict, "container \(r.id) is not running")
    }

    /// The clone flags of the namespaces a spec lists.
    static func namespaceFlags(_ types: [String]) -> Int32 {
        var flags: Int32 = 0
        for t in types {
            switch t {
            case "pid": flags |= BOX_CLONE_NEWPID
            case "mount": flags |= BOX_CLONE_NEWNS
            case "uts": flags |= BOX_CLONE_NEWUTS
            case "ipc": flags |= BOX_CLONE_NEWIPC
            case "network": flags |= BOX_CLONE_NEWNET
            case "cgroup": flags |= BOX_CLONE_NEWCGROUP
            case "user": flags |= BOX_CLONE_NEWUSER
            default: break
            }
        }
        return flags
    }

    /// The container's cgroup, opened for the helper: each v1 hierarchy's `tasks` file, or the v2 directory.
    private func openCgroup(_ path: String, taskFDs: inout [Int32], dirFD: inout Int32) throws(BoxError) {
        let dirs = cgroups.directories(path)
        if cgroups.version == "v2" {
            guard let dir = dirs.first else { return }
            dirFD = try check("open cgroup", dir) { open(dir, BOX_O_PATH | O_DIRECTORY | O_CLOEXEC) }
            return
        }
        for dir in dirs {
            let fd = open(dir + "/tasks", O_WRONLY | O_CLOEXEC)
            if fd < 0 {
                // a hierarchy mounted after the container started has no cgroup of it
                if errno == ENOENT { continue }
                throw BoxError.sys("open cgroup", dir + "/tasks", errno: errno)
            }
            taskFDs.append(fd)
        }
    }

    /// The command's process as the C child takes it: the container's spec with the exec's options applied.
    private func processConfig(_ r: ContainerRecord, _ o: ExecOptions, stdio: Stdio, arena: CArena) throws(BoxError) -> box_spawn_config {
        let spec = r.spec.process
        var uid = spec.user.uid, gid = spec.user.gid, groups = spec.user.additionalGids ?? []
        var env = spec.env
        if let user = o.user {
            let passwd = ContainerFiles.read(pid: r.state.pid, "/etc/passwd")
            let group = ContainerFiles.read(pid: r.state.pid, "/etc/group")
            let resolved = try Users.resolve(user, passwd: passwd, group: group)
            uid = resolved.uid
            gid = resolved.gid
            groups = resolved.additionalGids
            // a HOME that box derived from the container's user follows the exec's user; one the image set stays
            let ownHome = (try? Users.resolve(r.settings.user, passwd: passwd, group: group))?.home
            if let home = Executor.value("HOME", in: env), home == ownHome { env = Executor.merge(env, ["HOME=\(resolved.home)"]) }
        }
        if o.tty && Executor.value("TERM", in: env) == nil { env.append("TERM=xterm") }
        env = Executor.merge(env, o.env)
        let cwd = o.workdir ?? spec.cwd
        let bounding: UInt64, effective: UInt64
        if o.privileged {
            // every capability box itself holds: a set can only shrink
            bounding = try Capabilities.mask(Capabilities.all) & Executor.ownPermitted()
            effective = bounding
        } else {
            bounding = try Capabilities.mask(spec.capabilities.bounding)
            effective = try Capabilities.mask(spec.capabilities.effective)
        }
        let gids = groups.map { gid_t($0) }

        var p = box_spawn_config()
        p.cwd = arena.string(cwd)
        p.argv = arena.strings(o.command)
        p.envp = arena.strings(env)
        p.path = arena.optional(Executor.value("PATH", in: env))
        p.uid = uid
        p.gid = gid
        p.groups = arena.array(gids)
        p.n_groups = Int32(gids.count)
        p.cap_bounding = bounding
        p.cap_effective = effective
        p.no_new_privs = spec.noNewPrivileges ? 1 : 0
        setLimits(spec, on: &p, arena: arena)
        // the container's filter, also with --privileged (as runc applies it to every process it execs)
        setSeccomp(try SpecBuilder.seccompProgram(for: r, cache: seccompCache), on: &p, arena: arena)
        p.stdin_fd = stdio.stdin
        p.stdout_fd = stdio.stdout
        p.stderr_fd = stdio.stderr
        p.console_fd = stdio.console
        p.tty_rows = stdio.rows
        p.tty_cols = stdio.cols
        return p
    }

    /// This process's permitted capability set (`CapPrm` of `/proc/self/status`).
    static func ownPermitted() -> UInt64 {
        let status = (try? Files.read("/proc/self/status")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("CapPrm:") {
            return UInt64(line.dropFirst(7).trimmingPrefix("\t"), radix: 16) ?? 0
        }
        return 0
    }

    /// The value of the last `KEY=` entry of an environment.
    static func value(_ key: String, in env: [String]) -> String? {
        env.last { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// `base` with each `KEY=VALUE` of `extra` replacing the entry of its key in place, or appended.
    static func merge(_ base: [String], _ extra: [String]) -> [String] {
        var out = base
        for kv in extra {
            let key = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0] + "="
            if let i = out.firstIndex(where: { $0.hasPrefix(key) }) { out[i] = kv } else { out.append(kv) }
        }
        return out
    }
}

/// Files of a running container, read through `/proc/PID/root` as the container sees them: every path is
/// resolved inside the container's root (`openat2` with `RESOLVE_IN_ROOT`), so a symlink cannot lead out of it.
public enum ContainerFiles {
    /// The bytes of the regular file `path` in the container whose init is `pid`, or nil.
    public static func read(pid: Int32, _ path: String, limit: Int = 4 << 20) -> [UInt8]? {
        let root = open("/proc/\(pid)/root", BOX_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { return nil }
        defer { close(root) }
        return read(root: root, path, limit: limit)
    }

    /// The bytes of the regular file `path` under the directory `root`, taken as `/`; nil if it is missing, not a
    /// regular file, larger than `limit`, or reached only by leaving `root`.
    public static func read(root: Int32, _ path: String, limit: Int = 4 << 20) -> [UInt8]? {
        // non-blocking: a FIFO planted at the path must not hang box
        let fd = box_open_in_root(root, path, O_RDONLY | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= limit else { return nil }
        return try? Files.readAll(fd: fd, name: path)
    }
}
