#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// cgroup v2: one tree; controllers are enabled for children through `cgroup.subtree_control`,
/// and processes live only in leaves.
public struct CgroupV2: CgroupBackend {
    public let root: String

    public var version: String { "v2" }

    public init(root: String) { self.root = root }

    public func directories(_ path: String) -> [String] { ["\(root)/\(path)"] }

    public func create(_ path: String) throws(BoxError) {
        var cur = root
        let parts = path.split(separator: "/")
        for (i, part) in parts.enumerated() {
            // enable in each parent what it offers, so the leaf can be limited; failure only means fewer limits
            if let offered = try? Files.read(cur + "/cgroup.controllers") {
                let names = String(decoding: offered, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
                if !names.isEmpty && i > 0 {
                    try? writeControl(cur + "/cgroup.subtree_control", names.map { "+\($0)" }.joined(separator: " "))
                }
            }
            cur += "/\(part)"
            if mkdir(cur, 0o755) != 0 && errno != EEXIST { throw BoxError.sys("create cgroup", cur, errno: errno) }
        }
    }

    public func add(pid: Int32, to path: String) throws(BoxError) {
        try writeControl("\(root)/\(path)/cgroup.procs", "\(pid)\n")
    }

    public func remove(_ path: String) throws(BoxError) {
        try removeCgroupDir("\(root)/\(path)")
    }
}
