#if canImport(Glibc)
import Glibc
#endif

/// Where box keeps its state: the persistent root and the runtime root.
///
/// Root: `/var/lib/box` and `/run/box`. Rootless: `$XDG_DATA_HOME/box` and `$XDG_RUNTIME_DIR/box`.
/// `--root`/`BOX_ROOT` and `--runroot`/`BOX_RUNROOT` override both.
public struct BoxPaths: Sendable, Equatable {
    /// Persistent state: images, layers, containers.
    public let root: String
    /// Runtime state: generated files per running container; wiped by a reboot.
    public let runRoot: String

    public init(root: String, runRoot: String) {
        self.root = root
        self.runRoot = runRoot
    }

    /// The paths for this process, from flags, then the environment, then the defaults.
    public static func resolve(root: String?, runRoot: String?,
                               environment env: [String: String] = Environment.current) -> BoxPaths {
        let rootless = geteuid() != 0
        let home = env["HOME"] ?? "/root"
        let defaultRoot = rootless ? (env["XDG_DATA_HOME"] ?? "\(home)/.local/share") + "/box" : "/var/lib/box"
        let defaultRun = rootless ? (env["XDG_RUNTIME_DIR"].map { "\($0)/box" } ?? "/tmp/box-run-\(geteuid())")
            : "/run/box"
        let r = root ?? env["BOX_ROOT"] ?? defaultRoot
        // A custom root without a custom run root gets a run root of its own, so two roots never share one.
        let custom = (root ?? env["BOX_ROOT"]).map { $0 != defaultRoot } ?? false
        let run = runRoot ?? env["BOX_RUNROOT"] ?? (custom ? r + "/run" : defaultRun)
        return BoxPaths(root: r, runRoot: run)
    }

    public var blobs: String { root + "/blobs/sha256" }
    public var layers: String { root + "/layers" }
    public var imagesFile: String { root + "/images.json" }
    public var containers: String { root + "/containers" }
    public var tmp: String { root + "/tmp" }
    public var runContainers: String { runRoot + "/containers" }

    public func blob(_ hex: String) -> String { "\(blobs)/\(hex)" }
    public func layer(_ hex: String) -> String { "\(layers)/\(hex)" }
    public func container(_ id: String) -> String { "\(containers)/\(id)" }
    public func runContainer(_ id: String) -> String { "\(runContainers)/\(id)" }
}

/// The process environment as a dictionary.
public enum Environment {
    public static var current: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                out[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return out
    }
}
