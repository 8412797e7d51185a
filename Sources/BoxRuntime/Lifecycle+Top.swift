#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOS
import CBox

// `top`: the host's `ps`, with the rows of the container's processes, as Docker's daemon does it.

/// What `ps` printed for a container: its column titles and one row of fields per process.
public struct ProcessTable: Sendable, Equatable {
    public var titles: [String]
    public var rows: [[String]]

    public init(titles: [String], rows: [[String]]) {
        self.titles = titles
        self.rows = rows
    }
}

extension Lifecycle {
    /// The container's processes as `ps ARGS` (default `-ef`) shows them.
    public func top(_ r: ContainerRecord, psArgs: [String]) throws(BoxError) -> ProcessTable {
        let args = psArgs.isEmpty ? ["-ef"] : psArgs
        try Lifecycle.validatePSArgs(args)
        switch r.state.status {
        case .running, .paused: break
        case .restarting: throw Lifecycle.restarting(r)
        case .created, .exited: throw Lifecycle.notRunning(r)
        }
        let pids = processes(of: r)
        guard !pids.isEmpty else { throw Lifecycle.notRunning(r) }
        // `-q` lists only those pids; some options (like `f`) refuse it, so then every process, filtered here
        var result = Lifecycle.run(["ps"] + args + ["-q" + pids.map(String.init).joined(separator: ",")])
        if result.status != 0 { result = Lifecycle.run(["ps"] + args) }
        guard result.status == 0 else {
            let line = result.stderr.split(separator: "\n").first.map(String.init) ?? "exit status \(result.status)"
            throw BoxError(.system, "ps: \(line)")
        }
        return try Lifecycle.parsePS(result.stdout, pids: Set(pids))
    }

    /// The pids of the container: its cgroup's members, else every process in its pid namespace.
    public func processes(of r: ContainerRecord) -> [Int32] {
        let inCgroup = cgroups.processes(r.settings.cgroupPath)
        if !inCgroup.isEmpty { return inCgroup }
        guard ProcessInfo.isAlive(r.state.pid, startTime: r.state.pidStartTime),
              let ns = Lifecycle.pidNamespace(r.state.pid) else { return [] }
        let all = ((try? Files.list("/proc")) ?? []).compactMap { Int32($0) }
        return all.filter { Lifecycle.pidNamespace($0) == ns }
    }

    /// `/proc/PID/ns/pid`'s target, e.g. `pid:[4026532301]`.
    static func pidNamespace(_ pid: Int32) -> String? {
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/\(pid)/ns/pid", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Docker refuses options that rename the PID column (`-o pid=X` is fine, `-o comm=PID` is not): the rows
    /// are matched by that column.
    public static func validatePSArgs(_ args: [String]) throws(BoxError) {
        let words = args.joined(separator: " ").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        for (i, w) in words.enumerated() {
            guard let eq = w.firstIndex(of: "=") else { continue }
            let key = String(w[..<eq])
            var value = String(w[w.index(after: eq)...])
            if value.isEmpty, i + 1 < words.count { value = words[i + 1] }
            if value.hasPrefix("PID") && key != "pid" {
                throw BoxError(.invalidArgument, "specifying \"\(key)=\(value)\" is not allowed")
            }
        }
    }

    /// Keeps the header and the rows whose PID is one of `pids`; thread rows (`-` in the PID column, from
    /// `-L` or `m`) follow their process. Fields past the last title (the command's arguments) are joined.
    public static func parsePS(_ output: String, pids: Set<Int32>) throws(BoxError) -> ProcessTable {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let fields = { (line: Substring) in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0C}" }).map(String.init) }
        let titles = fields(lines.first ?? "")
        guard let pidIndex = titles.firstIndex(of: "PID") else { throw BoxError(.system, "couldn't find PID field in ps output") }
        var table = ProcessTable(titles: titles, rows: [])
        var inContainer = false
        for line in lines.dropFirst() where !line.isEmpty {
            let f = fields(line)
            guard f.count > pidIndex else { continue }
            if f[pidIndex] == "-" {
                if inContainer { table.rows.append(merge(f, columns: titles.count)) }
                continue
            }
            guard let pid = Int32(f[pidIndex]) else { throw BoxError(.system, "unexpected pid '\(f[pidIndex])' in ps output") }
            inContainer = pids.contains(pid)
            if inContainer { table.rows.append(merge(f, columns: titles.count)) }
        }
        return table
    }

    /// The first `columns - 1` fields, and the rest joined by spaces as the last.
    private static func merge(_ f: [String], columns: Int) -> [String] {
        guard f.count > columns else { return f }
        return Array(f[..<(columns - 1)]) + [f[(columns - 1)...].joined(separator: " ")]
    }

    /// Runs a program found in `$PATH` and collects its output.
    static func run(_ argv: [String]) -> (status: Int32, stdout: String, stderr: String) {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { return (-1, "", "pipe: \(errnoText(errno))") }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            return (-1, "", "pipe: \(errnoText(errno))")
        }
        // no other fd of box may leak into ps; the ends it gets are dup'd onto 1 and 2
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attr, cargs, environ)
        close(out[1])
        close(err[1])
        defer { close(out[0]); close(err[0]) }
        guard rc == 0 else { return (-1, "", "exec \(argv[0]): \(errnoText(rc))") }
        // stderr is a line or two; reading stdout to its end first cannot leave ps blocked on a full stderr pipe
        let stdout = (try? Files.readAll(fd: out[0], name: argv[0])) ?? []
        let stderr = (try? Files.readAll(fd: err[0], name: argv[0])) ?? []
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = box_wifexited(status) != 0 ? box_wexitstatus(status) : 128 + box_wtermsig(status)
        return (code, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
