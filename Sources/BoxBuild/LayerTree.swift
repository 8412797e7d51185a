#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

/// A read-only view of layer directories (top first) merged as overlayfs merges them, without mounting: the
/// topmost layer with a name decides, a whiteout (a 0:0 character device) hides it, an opaque directory hides
/// what is below it. A build context is the one-layer case, with its ignore rules applied.
struct LayerTree {
    /// Layer directories, top first.
    let layers: [String]
    /// `.dockerignore` rules (a context only).
    let ignore: IgnoreRules?

    init(layers: [String], ignore: IgnoreRules? = nil) {
        self.layers = layers
        self.ignore = ignore
    }

    /// One path in the merged tree.
    struct Node {
        /// Components below the root.
        var path: [String]
        /// The host path of the topmost entry.
        var host: String
        var st: stat
        /// For a directory: the host directories that make it up, top first.
        var dirs: [String]

        var isDirectory: Bool { (st.st_mode & S_IFMT) == S_IFDIR }
        var isSymlink: Bool { (st.st_mode & S_IFMT) == S_IFLNK }
        var isRegular: Bool { (st.st_mode & S_IFMT) == S_IFREG }
        var display: String { "/" + path.joined(separator: "/") }
    }

    var root: Node? {
        var st = stat()
        guard let top = layers.first, lstat(top, &st) == 0 else { return nil }
        var dirs: [String] = []
        for l in layers {
            dirs.append(l)
            if LayerTree.isOpaque(l) { break }
        }
        return Node(path: [], host: top, st: st, dirs: dirs)
    }

    static func isOpaque(_ dir: String) -> Bool {
        var v: [UInt8] = [0, 0]
        for name in ["trusted.overlay.opaque", "user.overlay.opaque"] where lgetxattr(dir, name, &v, 2) == 1 && v[0] == UInt8(ascii: "y") {
            return true
        }
        return false
    }

    /// The child `name` of a directory node, or nil (absent, whited out, ignored).
    func child(_ dir: Node, _ name: String) -> Node? {
        let path = dir.path + [name]
        if let ignore, ignore.excludes(path.joined(separator: "/")) { return nil }
        var found: Node?
        for d in dir.dirs {
            let full = d + "/" + name
            var st = stat()
            guard lstat(full, &st) == 0 else { continue }
            let kind = st.st_mode & S_IFMT
            if found == nil {
                if kind == S_IFCHR && st.st_rdev == 0 { return nil }
                found = Node(path: path, host: full, st: st, dirs: kind == S_IFDIR ? [full] : [])
                if kind != S_IFDIR || LayerTree.isOpaque(full) { break }
            } else {
                // a lower directory shows through only while the names above are directories
                guard kind == S_IFDIR else { break }
                found?.dirs.append(full)
                if LayerTree.isOpaque(full) { break }
            }
        }
        return found
    }

    /// The children of a directory node, sorted by name.
    func children(_ dir: Node) -> [Node] {
        var names = Set<String>()
        for d in dir.dirs {
            guard let h = opendir(d) else { continue }
            defer { closedir(h) }
            while let e = readdir(h) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if n != "." && n != ".." { names.insert(n) }
            }
        }
        return names.sorted().compactMap { child(dir, $0) }
    }

    /// The node at `path` (components), following symlinks inside the tree (never out of it) on the way and,
    /// when `followLast`, at the end.
    func lookup(_ path: [String], followLast: Bool = true) -> Node? {
        var todo = path
        var cur = root
        var done: [String] = []
        var hops = 0
        while let name = todo.first, var node = cur {
            todo.removeFirst()
            if name == "." || name.isEmpty { continue }
            if name == ".." {
                done = Array(done.dropLast())
                cur = lookup(done, followLast: true)
                continue
            }
            guard node.isDirectory, let next = child(node, name) else { return nil }
            if next.isSymlink && (followLast || !todo.isEmpty) {
                hops += 1
                if hops > 40 { return nil }
                let target = LayerTree.readLink(next.host)
                let parts = target.split(separator: "/").map(String.init)
                todo = (target.hasPrefix("/") ? parts : done + parts) + todo
                done = []
                cur = root
                continue
            }
            node = next
            done.append(name)
            cur = node
        }
        return cur
    }

    static func readLink(_ path: String) -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return "" }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
