#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Small whole-file helpers. Writes that others may read are atomic: temp file, fsync, rename.
public enum Files {
    /// Reads a whole file.
    public static func read(_ path: String) throws(BoxError) -> [UInt8] {
        let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try readAll(fd: fd, name: path)
    }

    /// Reads everything from a file descriptor until EOF.
    public static func readAll(fd: Int32, name: String) throws(BoxError) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try check("read", name) { Int32(truncatingIfNeeded: Glibc.read(fd, &buf, buf.count)) }
            if n == 0 { return out }
            out.append(contentsOf: buf[0..<Int(n)])
        }
    }

    /// Writes all bytes to a file descriptor.
    public static func writeAll(fd: Int32, _ bytes: [UInt8], name: String) throws(BoxError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { p in Glibc.write(fd, p.baseAddress! + off, p.count - off) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw BoxError.sys("write", name, errno: Glibc.errno)
            }
            off += n
        }
    }

    /// Writes a file crash-atomically: a temp file beside it, fsync, rename over the target.
    public static func writeAtomic(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(BoxError) {
        let tmp = "\(path).tmp-\(getpid())"
        let fd = try check("create", tmp) { open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode) }
        do {
            try writeAll(fd: fd, bytes, name: tmp)
            try check("fsync", tmp) { fsync(fd) }
            close(fd)
            try check("rename", tmp) { rename(tmp, path) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
    }

    /// Writes a plain file (not atomic): for files only this process reads before it is done.
    public static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(BoxError) {
        let fd = try check("create", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        defer { close(fd) }
        try writeAll(fd: fd, bytes, name: path)
    }

    /// Whether a path exists (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Whether a path is a directory (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates a directory and its parents; existing ones are fine.
    public static func mkdirAll(_ path: String, mode: mode_t = 0o755) throws(BoxError) {
        if path.isEmpty || isDirectory(path) { return }
        let parent = dirname(path)
        if parent != path { try mkdirAll(parent, mode: mode) }
        if mkdir(path, mode) != 0 && Glibc.errno != EEXIST {
            throw BoxError.sys("mkdir", path, errno: Glibc.errno)
        }
    }

    /// The names in a directory, without `.` and `..`; an absent directory has none.
    public static func list(_ path: String) throws(BoxError) -> [String] {
        guard let dir = opendir(path) else {
            if Glibc.errno == ENOENT { return [] }
            throw BoxError.sys("open directory", path, errno: Glibc.errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The parent directory of a path ("/" for "/x", "." for "x").
    public static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

/// JSON encoding and decoding with box's settings, mapped to `BoxError`.
public enum JSON {
    /// Decodes a value, naming the file or object on failure.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws(BoxError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw BoxError(.invalidArgument, "parse \(what): \(describe(error))")
        }
    }

    /// Encodes a value; `pretty` indents it for people.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws(BoxError) -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.prettyPrinted, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        do {
            return Array(try enc.encode(value))
        } catch {
            throw BoxError(.invalidArgument, "encode json: \(error)")
        }
    }

    /// Reads and decodes a JSON file.
    public static func read<T: Decodable>(_ type: T.Type, from path: String) throws(BoxError) -> T {
        try decode(type, from: try Files.read(path), what: path)
    }

    /// Encodes and writes a JSON file atomically.
    public static func write<T: Encodable>(_ value: T, to path: String) throws(BoxError) {
        try Files.writeAtomic(path, try encode(value))
    }

    /// A one-line description of a decoding error.
    static func describe(_ error: any Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid json" : "bad value at \(path(c.codingPath))"
            case .keyNotFound(let k, let c): return "missing field \(path(c.codingPath + [k]))"
            case .typeMismatch(_, let c): return "wrong type at \(path(c.codingPath))"
            case .valueNotFound(_, let c): return "missing value at \(path(c.codingPath))"
            @unknown default: return "not valid json"
            }
        }
        return "not valid json"
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

extension Files {
    /// Whether a file starts with the gzip magic bytes.
    public static func isGzip(_ path: String) throws(BoxError) -> Bool {
        let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var magic: [UInt8] = [0, 0]
        return Glibc.read(fd, &magic, 2) == 2 && magic == [0x1f, 0x8b]
    }
}
