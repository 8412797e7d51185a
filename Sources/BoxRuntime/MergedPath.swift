#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// A path looked up in merged layers.
enum MergedPath {
    /// The directory at `path` in every layer that contributes to it (top first); nil if it is no directory.
    /// Every fd opened is appended to `opened` for the caller to close.
    static func resolve(_ path: String, root: [Int32], opened: inout [Int32]) -> [Int32]? {
        let w = walk(path, root: root, opened: &opened)
        return w.complete ? w.stack : nil
    }

    /// Directory fds of the layers, top first; each is also appended to `opened`, which the caller closes.
    static func openLayers(_ layers: [String], opened: inout [Int32]) throws(BoxError) -> [Int32] {
        var root: [Int32] = []
        for layer in layers {
            let fd = try check("open layer", layer) { open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            opened.append(fd)
            root.append(fd)
        }
        return root
    }

    /// `path` with its symlinks resolved inside the root, as runc's `SecureJoin` resolves a mount's destination:
    /// an absolute target starts again at the root, `..` stops at it, and what does not exist is kept as written.
    /// `layers` are the container's layer directories, top first.
    static func inRoot(_ path: String, layers: [String]) throws(BoxError) -> String {
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        let root = try openLayers(layers, opened: &opened)
        let w = walk(path, root: root, opened: &opened)
        return "/" + w.components.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }

    /// Walks `path` through the merged layers, following symlinks inside the root (at most 40). Returns the
    /// resolved components; `complete` when every one exists and the last is a directory, whose stack of layer
    /// directories (top first) is `stack`.
    static func walk(_ path: String, root: [Int32], opened: inout [Int32]) -> (components: [[UInt8]], stack: [Int32], complete: Bool) {
        var dirs: [[Int32]] = [root]
        var names: [[UInt8]] = []
        var rest = path.split(separator: "/").map { Array($0.utf8) }
        var links = 0
        // past a missing name (or a file) the rest is only text: `..` still stops at the root
        func lexical(_ more: [[UInt8]]) -> (components: [[UInt8]], stack: [Int32], complete: Bool) {
            for n in more where n != [46] {
                if n == [46, 46] { if !names.isEmpty { names.removeLast() } } else { names.append(n) }
            }
            return (names, [], false)
        }
        while !rest.isEmpty {
            let name = rest.removeFirst()
            if name == [46] { continue }
            if name == [46, 46] {
                if dirs.count > 1 { dirs.removeLast() }
                if !names.isEmpty { names.removeLast() }
                continue
            }
            let stack = dirs[dirs.count - 1]
            // the topmost layer that has the name decides what it is
            var owner: Int?
            var st = stat()
            for (i, fd) in stack.enumerated() where fstatat(fd, name.cString, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                owner = i
                break
            }
            guard let owner, !MergeWalker.isWhiteout(st) else { return lexical([name] + rest) }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                links += 1
                guard links <= 40, let target = readlink(stack[owner], name) else { return lexical([name] + rest) }
                if target.first == UInt8(ascii: "/") {
                    dirs = [root]
                    names = []
                }
                rest = target.split(separator: UInt8(ascii: "/")).map(Array.init) + rest
            case S_IFDIR:
                var sub: [Int32] = []
                for lower in stack[owner...] {
                    var ls = stat()
                    // a layer without the name lets the ones below show through
                    guard fstatat(lower, name.cString, &ls, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                    guard (ls.st_mode & S_IFMT) == S_IFDIR else { break }
                    let d = openat(lower, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard d >= 0 else { break }
                    opened.append(d)
                    sub.append(d)
                    if MergeWalker.isOpaque(d) { break }
                }
                guard !sub.isEmpty else { return lexical([name] + rest) }
                dirs.append(sub)
                names.append(name)
            default:
                return lexical([name] + rest)
            }
        }
        return (names, dirs[dirs.count - 1], dirs.count > 1)
    }

    static func readlink(_ dirfd: Int32, _ name: [UInt8]) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buf.withUnsafeMutableBytes { readlinkat(dirfd, name.cString, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        return n > 0 ? Array(buf[0..<n]) : nil
    }
}
