#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import FoundationEssentials
import Synchronization

/// A registry for tests, run by `Fixtures/registry/serve.py` (Debian's docker-registry) or
/// `Fixtures/registry/faulty.py` (a fake one with an injected fault). See Fixtures/registry/README.md.
///
///     guard let reg = TestRegistry.start(mode: "tls", dir: dir) else { … TestRegistry.lastSkipReason … }
///     defer { reg.stop() }
///     // reg.host = "127.0.0.1:PORT", reg.certDir = dir + "/certs" (holds ca.crt)
public final class TestRegistry: @unchecked Sendable {
    /// `127.0.0.1:PORT`.
    public let host: String
    /// The registry's process: docker-registry for `start`, faulty.py itself for `faulty`.
    public let pid: Int32
    /// `plain`, `tls`, `htpasswd`, `token`, or `faulty:FAULT`.
    public let mode: String
    /// `http` or `https`.
    public let scheme: String
    /// A Docker-style certificate directory holding the CA as `ca.crt` (TLS only).
    public let certDir: String?
    /// Credentials (htpasswd and token modes).
    public let user: String?
    public let password: String?
    /// The token server's URL (token mode).
    public let tokenRealm: String?
    /// The state directory; `serve.log` in it has the child's stderr.
    public let dir: String

    private let child: pid_t
    private let stdoutFD: Int32
    private let ownsDir: Bool
    private let stopped = Mutex(false)

    private static let skipReason = Mutex<String?>(nil)
    private static let failure = Mutex<String?>(nil)

    /// Why the last `start`/`faulty` that returned nil skipped (a tool is not installed), else nil.
    public static var lastSkipReason: String? { skipReason.withLock { $0 } }
    /// Why the last `start`/`faulty` that returned nil failed (not a skip), else nil.
    public static var lastFailure: String? { failure.withLock { $0 } }

    /// Whether Debian's reference registry is installed (`apt-get install docker-registry`).
    public static var registryInstalled: Bool { Files.exists("/usr/bin/docker-registry") }

    public static let python = "/usr/bin/python3"
    public static let serveScript = "\(TestSupport.repoRoot)/Fixtures/registry/serve.py"
    public static let faultyScript = "\(TestSupport.repoRoot)/Fixtures/registry/faulty.py"

    /// Starts docker-registry in `mode` (plain, tls, htpasswd, token) with its state in `dir`
    /// (created). `extra` is passed to serve.py (e.g. `["--tls"]` for htpasswd or token over HTTPS).
    /// nil when it cannot: see `lastSkipReason` and `lastFailure`.
    public static func start(mode: String, dir: String, user: String = "boxuser", password: String = "boxpass",
                             extra: [String] = []) -> TestRegistry? {
        try? Files.mkdirAll(dir)
        return launch([python, serveScript, "--mode", mode, "--dir", dir, "--user", user, "--password", password]
                          + extra,
                      dir: dir, ownsDir: false, mode: mode)
    }

    /// Starts faulty.py serving the images of an OCI archive or layout under `repo`, with one
    /// fault (none, blob-digest, manifest-size, media-type, manifest-large, manifest-not-json,
    /// status-401, status-404, status-500, hang, cut-blob, slow-blob). Its log directory is
    /// removed by `stop`.
    public static func faulty(oci: String, fault: String, repo: String = "test/demo") -> TestRegistry? {
        launch([python, faultyScript, "--oci", oci, "--fault", fault, "--repo", repo, "--verbose"],
               dir: TestSupport.tempDir("box-faulty"), ownsDir: true, mode: "faulty:\(fault)")
    }

    /// `SCHEME://HOST`.
    public var baseURL: String { "\(scheme)://\(host)" }

    /// The child's stderr so far (registry and token server logs, or faulty.py's request log).
    public var log: String {
        (try? Files.read(dir + "/serve.log")).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Stops the registry: SIGTERM to the script (which stops what it started), then waits for it;
    /// SIGKILL after 10 s. Safe to call more than once.
    public func stop() {
        let first = stopped.withLock { s in
            defer { s = true }
            return !s
        }
        guard first else { return }
        Self.terminate(child)
        close(stdoutFD)
        if ownsDir { TestSupport.removeTree(dir) }
    }

    deinit { stop() }

    private init(info: Info, child: pid_t, stdoutFD: Int32, dir: String, ownsDir: Bool, mode: String) {
        host = info.host ?? ""
        pid = info.pid ?? child
        self.mode = info.mode ?? mode
        scheme = info.scheme ?? "http"
        certDir = info.certDir
        user = info.user
        password = info.password
        tokenRealm = info.tokenRealm
        self.child = child
        self.stdoutFD = stdoutFD
        self.dir = dir
        self.ownsDir = ownsDir
    }

    /// The scripts' one JSON line.
    private struct Info: Decodable {
        var host: String?
        var pid: Int32?
        var mode: String?
        var scheme: String?
        var certDir: String?
        var user: String?
        var password: String?
        var tokenRealm: String?
        var skip: String?
    }

    private static func launch(_ argv: [String], dir: String, ownsDir: Bool, mode: String) -> TestRegistry? {
        skipReason.withLock { $0 = nil }
        failure.withLock { $0 = nil }
        func fail(_ why: String) -> TestRegistry? {
            failure.withLock { $0 = why }
            if ownsDir { TestSupport.removeTree(dir) }
            return nil
        }
        guard Files.exists(python) else {
            skipReason.withLock { $0 = "\(python) is not installed (apt-get install python3)" }
            if ownsDir { TestSupport.removeTree(dir) }
            return nil
        }
        let logPath = dir + "/serve.log"
        var fds: [Int32] = [-1, -1]
        // pipe2 is not in Glibc's Swift module; the window before FD_CLOEXEC only costs another
        // spawn a copy of the write end, which delays noticing EOF, not the JSON line
        guard pipe(&fds) == 0 else { return fail("pipe: \(errnoText(errno))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)  // dup2 clears close-on-exec on fd 1
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var env = Environment.current
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        // spawn resets the signal mask: the child must see stop()'s SIGTERM
        let (child, rc) = TestSupport.spawn(argv, actions: &actions, env: env)
        close(fds[1])
        if rc != 0 {
            close(fds[0])
            return fail("spawn \(argv[0]): \(errnoText(rc))")
        }
        let line = readLine(fds[0], timeout: 20)
        let logTail = {
            let text = (try? Files.read(logPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return String(text.suffix(2000))
        }
        guard let line else {
            terminate(child)
            close(fds[0])
            return fail("\(argv[1]) gave no JSON line within 20 s; its stderr:\n\(logTail())")
        }
        guard let info = try? JSON.decode(Info.self, from: Array(line.utf8), what: "registry info") else {
            terminate(child)
            close(fds[0])
            return fail("\(argv[1]) printed \(line); its stderr:\n\(logTail())")
        }
        if let reason = info.skip {
            terminate(child)
            close(fds[0])
            skipReason.withLock { $0 = reason }
            if ownsDir { TestSupport.removeTree(dir) }
            return nil
        }
        guard info.host != nil else {
            terminate(child)
            close(fds[0])
            return fail("\(argv[1]) printed no host: \(line)")
        }
        return TestRegistry(info: info, child: child, stdoutFD: fds[0], dir: dir, ownsDir: ownsDir, mode: mode)
    }

    /// The first line on `fd`, or nil on EOF or after `timeout` seconds.
    private static func readLine(_ fd: Int32, timeout: Double) -> String? {
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = now() + timeout
        while true {
            let left = deadline - now()
            if left <= 0 { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(min(left, 1) * 1000) + 1)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { continue }
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buf.append(contentsOf: chunk[0..<n])
            if let nl = buf.firstIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: buf[..<nl], as: UTF8.self)
            }
        }
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// SIGTERM, wait up to 10 s, then SIGKILL; always reaps.
    private static func terminate(_ pid: pid_t) {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { return }
        kill(pid, SIGTERM)
        let deadline = now() + 10
        while now() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
