#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport

/// A box state root with the demo images loaded, and a way to run the built binary against it.
final class Harness: Sendable {
    let root: String

    /// One loaded root that tests share (they run in parallel against it, as CI scripts would).
    static let shared = Harness()

    init(load: Bool = true) {
        root = TestSupport.tempDir("box-it")
        if load { _ = box("load", "-i", TestSupport.fixture("box-demo.oci.tar")) }
        // lay out the state directories now, so tests compare content, not lazily made empty directories
        _ = box("ps", "-a")
    }

    deinit { cleanup() }

    /// Removes every container of this root, then the root.
    func cleanup() {
        for id in box("ps", "-aq", "--no-trunc").stdout.split(separator: "\n") { _ = box("rm", "-f", String(id)) }
        TestSupport.removeTree(root)
    }

    /// Runs `box ARGS…` with this root.
    @discardableResult
    func box(_ args: String..., stdin: String? = nil) -> TestSupport.Result {
        box(args, stdin: stdin)
    }

    func box(_ args: [String], stdin: String? = nil) -> TestSupport.Result {
        TestSupport.run([TestSupport.boxBinary, "--root", root] + args, stdin: stdin)
    }

    /// `box run --rm IMAGE sh -c SCRIPT`, for checks from inside a container.
    func sh(_ script: String, flags: [String] = [], image: String = "box-demo") -> TestSupport.Result {
        box(["run", "--rm"] + flags + [image, "sh", "-c", script])
    }
}

/// Facts about the host, for the no-leak checks.
enum Host {
    /// Mount points that mention a path.
    static func mounts(containing s: String) -> [String] {
        let info = (try? Files.read("/proc/self/mountinfo")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return info.split(separator: "\n").map(String.init).filter { $0.contains(s) }
    }

    /// cgroup directories of a container, on any hierarchy.
    static func cgroupDirs(_ id: String) -> [String] {
        let r = TestSupport.run(["/usr/bin/find", "/sys/fs/cgroup", "-maxdepth", "3", "-type", "d", "-name", id])
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// Whether any process runs the given command line fragment.
    static func processes(matching s: String) -> [String] {
        TestSupport.run(["/usr/bin/pgrep", "-af", s]).stdout.split(separator: "\n").map(String.init)
    }

    static var canRun: Bool { TestSupport.isRoot && TestSupport.fixturesBuilt && Files.exists(TestSupport.boxBinary) }
}
