#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// Shared helpers for box's tests: fixture paths, temporary roots, and running the built binary.
public enum TestSupport {
    /// The repository root, found from this file's path.
    public static let repoRoot: String = {
        var p = #filePath
        for _ in 0..<3 { p = Files.dirname(p) }
        return p
    }()

    /// A generated fixture under `Fixtures/out` (built by `make fixtures`).
    public static func fixture(_ name: String) -> String { "\(repoRoot)/Fixtures/out/\(name)" }

    /// Whether the generated fixtures exist.
    public static var fixturesBuilt: Bool { Files.exists(fixture("box-demo.oci.tar")) }

    /// The built box binary: `BOX_BIN`, else the debug build.
    public static var boxBinary: String {
        Environment.current["BOX_BIN"] ?? "\(repoRoot)/.build/debug/box"
    }

    public static var isRoot: Bool { geteuid() == 0 }

    /// A new empty directory under /tmp, removed by `removeTree`.
    public static func tempDir(_ tag: String = "box-test") -> String {
        var template = Array("/tmp/\(tag)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { return "/tmp/\(tag)-\(getpid())" }
        return String(cString: p)
    }

    /// Removes a directory tree (for test cleanup).
    public static func removeTree(_ path: String) {
        _ = run(["/bin/rm", "-rf", path])
    }

    /// posix_spawn with the given file actions and environment; the child starts with no signal blocked and
    /// every handler at its default (the test runner blocks most signals, and a child would inherit that).
    /// Returns the pid and posix_spawn's error (0 on success).
    public static func spawn(_ argv: [String], actions: inout posix_spawn_file_actions_t,
                             env: [String: String]) -> (pid_t, Int32) {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cargs + cenv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cargs, cenv)
        return (pid, rc)
    }

    /// The result of a command.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs a program with arguments and optional stdin, capturing its output.
    @discardableResult
    public static func run(_ argv: [String], stdin: String? = nil, env: [String: String] = [:]) -> Result {
        let dir = tempDir("box-run")
        defer { _ = system("rm -rf '\(dir)'") }
        let outPath = dir + "/out", errPath = dir + "/err", inPath = dir + "/in"
        _ = try? Files.write(inPath, Array((stdin ?? "").utf8))
        var environment = Environment.current
        for (k, v) in env { environment[k] = v }
        // posix_spawn, never fork: the test process is multi-threaded, and a forked child that runs
        // Swift (or malloc) before exec can deadlock on a lock another thread held
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let (pid, rc) = spawn(argv, actions: &actions, env: environment)
        if rc != 0 { return Result(status: 127, stdout: "", stderr: "spawn \(argv[0]): \(errnoText(rc))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let out = (try? Files.read(outPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let err = (try? Files.read(errPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Result(status: code, stdout: out, stderr: err)
    }
}
