#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

extension Monitor {
    /// Starts a monitor for the container `id` and waits until it reports the container started (or why
    /// not). `client` is a socket the monitor takes as an attached client before the container starts, so
    /// no output is missed. Returns the monitor's pid.
    public static func spawn(id: String, paths: BoxPaths, client: Int32 = -1, removeOnFailure: Bool,
                             ttySize: (rows: UInt16, cols: UInt16) = (0, 0)) throws(BoxError) -> Int32 {
        var args = [try selfExe(), "--root", paths.root, "--runroot", paths.runRoot, "container-monitor", id]
        if client >= 0 { args.append("--attached") }
        if removeOnFailure { args.append("--remove-on-failure") }
        if ttySize.rows > 0 { args += ["--tty-size", "\(ttySize.rows)x\(ttySize.cols)"] }
        var fds: [Int32] = [-1, -1]
        try check("pipe", "monitor") { box_pipe_cloexec(&fds) }
        let cargs = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        let pid = cargs.withUnsafeBufferPointer { box_spawn_monitor($0.baseAddress, fds[1], client) }
        let spawnErr = errno
        close(fds[1])
        defer { close(fds[0]) }
        guard pid > 0 else { throw BoxError.sys("start the container's monitor", errno: spawnErr) }
        // the monitor closes its end once the container runs, or after writing why it could not start it
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let r = read(fds[0], &buf, buf.count)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { break }
            out += buf[0..<r]
        }
        let line = String(decoding: out, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        if line == "ok" { return pid }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard line.hasPrefix("ERR ") else {
            throw BoxError(.system, "the container's monitor exited before the container started")
        }
        let rest = line.dropFirst(4)
        let code = Int32(rest.prefix { $0 != " " }) ?? 125
        let message = String(rest.drop { $0 != " " }.dropFirst())
        switch code {
        case 126: throw BoxError(.cannotInvoke, message)
        case 127: throw BoxError(.commandNotFound, message)
        default: throw BoxError(.system, message)
        }
    }

    /// The path of box's own binary.
    static func selfExe() throws(BoxError) -> String {
        var exe = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &exe, exe.count - 1)
        guard n > 0 else { throw BoxError.sys("find box's own binary", "/proc/self/exe", errno: errno) }
        return String(decoding: exe[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts `box healthcheck run ID` in the background, detached like a monitor; returns its pid or -1.
    static func spawnHealthCheck(id: String, paths: BoxPaths) -> Int32 {
        guard let exe = try? selfExe() else { return -1 }
        let args = [exe, "--root", paths.root, "--runroot", paths.runRoot, "healthcheck", "run", id]
        let cargs = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        return cargs.withUnsafeBufferPointer { box_spawn_monitor($0.baseAddress, -1, -1) }
    }

    /// Connects to the attach socket of a running container.
    public static func connect(id: String, store: ContainerStore) throws(BoxError) -> Int32 {
        let fd = box_unix_connect(store.paths.runContainer(id), "attach")
        guard fd >= 0 else { throw BoxError.sys("attach to the container", store.attachSocketPath(id), errno: errno) }
        return fd
    }
}
