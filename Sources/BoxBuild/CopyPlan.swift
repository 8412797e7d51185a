#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxOCI

/// The entries a COPY or ADD writes into its layer: each path once, with its owner, mode and source, and
/// every parent directory (with the image's own metadata when the image has it, so the layer never changes a
/// directory it only passes through).
struct CopyPlan {
    enum Source {
        case none
        case file(String)
        case bytes([UInt8])
    }

    struct Entry {
        var path: [String]
        var kind: TarEntry.Kind
        var mode: UInt32
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var mtime = 0
        var nanos = 0
        var size: Int64 = 0
        var link: String?
        var source = Source.none
    }

    var entries: [String: Entry] = [:]
    /// The image the layer goes on, for parents that exist already.
    let image: LayerTree
    /// `--chown`, applied to what is copied and to directories the copy creates.
    let owner: (uid: UInt32, gid: UInt32)?
    /// `--chmod`, applied to what is copied.
    let chmod: UInt32?

    init(image: LayerTree, owner: (uid: UInt32, gid: UInt32)?, chmod: UInt32?) {
        self.image = image
        self.owner = owner
        self.chmod = chmod
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Where `path` lands in the image: symlinked parents (and a symlink to a directory at the end) followed.
    func real(_ path: [String]) -> [String] {
        if let n = image.lookup(path), n.isDirectory { return n.path }
        guard let last = path.last else { return [] }
        if let p = image.lookup(Array(path.dropLast())), p.isDirectory { return p.path + [last] }
        return path
    }

    /// Whether the image has a directory at `path`.
    func isDirectory(_ path: [String]) -> Bool { image.lookup(path)?.isDirectory == true }

    mutating func put(_ e: Entry) {
        addParents(e.path)
        entries[e.path.joined(separator: "/")] = e
    }

    /// Every parent of `path`: the image's directory as it is, else a new one (0755, the `--chown` owner).
    mutating func addParents(_ path: [String]) {
        guard path.count > 1 else { return }
        for n in 1..<path.count {
            let p = Array(path[..<n])
            let key = p.joined(separator: "/")
            if entries[key] != nil { continue }
            entries[key] = directoryEntry(p, created: true)
        }
    }

    /// A directory entry for `p`: the image's metadata if it has it, else new.
    func directoryEntry(_ p: [String], created: Bool) -> Entry {
        if let n = image.lookup(p, followLast: false), n.isDirectory {
            var e = Entry(path: p, kind: .directory, mode: UInt32(n.st.st_mode & 0o7777))
            e.uid = n.st.st_uid
            e.gid = n.st.st_gid
            e.mtime = Int(n.st.st_mtim.tv_sec)
            e.nanos = Int(n.st.st_mtim.tv_nsec)
            return e
        }
        var e = Entry(path: p, kind: .directory, mode: 0o755)
        e.uid = owner?.uid ?? 0
        e.gid = owner?.gid ?? 0
        e.mtime = Int(Time.nowSeconds())
        return e
    }

    /// Adds `node` of `tree` at `dest`; a directory's contents go into `dest`. Owners are root's (or `--chown`)
    /// unless `keepOwners` (an extracted archive).
    mutating func add(_ node: LayerTree.Node, of tree: LayerTree, at dest: [String], keepOwners: Bool = false) {
        var e = Entry(path: dest, kind: .file, mode: UInt32(node.st.st_mode & 0o7777))
        e.uid = keepOwners ? node.st.st_uid : owner?.uid ?? 0
        e.gid = keepOwners ? node.st.st_gid : owner?.gid ?? 0
        if !keepOwners, let o = owner { (e.uid, e.gid) = o }
        e.mtime = Int(node.st.st_mtim.tv_sec)
        e.nanos = Int(node.st.st_mtim.tv_nsec)
        if let chmod { e.mode = chmod }
        switch node.st.st_mode & S_IFMT {
        case S_IFDIR:
            e.kind = .directory
            // copying into a directory the image has keeps that directory as it is
            if isDirectory(dest) && !dest.isEmpty {
                addParents(dest + ["x"])
            } else if !dest.isEmpty {
                put(e)
            }
            for c in tree.children(node) { add(c, of: tree, at: dest + [c.path.last!], keepOwners: keepOwners) }
        case S_IFREG:
            e.size = Int64(node.st.st_size)
            e.source = .file(node.host)
            put(e)
        case S_IFLNK:
            e.kind = .symlink
            e.mode = UInt32(node.st.st_mode & 0o7777)
            e.link = LayerTree.readLink(node.host)
            put(e)
        default:
            return
        }
    }

    /// The entries in the order they are written: parents before children.
    var ordered: [Entry] {
        entries.values.sorted { $0.path.lexicographicallyPrecedes($1.path) }
    }

    /// A checksum of every entry's path, kind, owner, mode, link and content (not times): the cache key's part.
    func checksum() throws(BoxError) -> String {
        var h = SHA256Hasher()
        for e in ordered {
            var line = "\(e.path.joined(separator: "/"))\u{0}\(e.kind)\u{0}\(e.mode)\u{0}\(e.uid):\(e.gid)\u{0}\(e.link ?? "")\u{0}"
            switch e.source {
            case .none: break
            case .bytes(let b): line += Digest.of(b).hex
            case .file(let p): line += try CopyPlan.hash(p).hex
            }
            h.update(Array((line + "\n").utf8))
        }
        return h.finish().hex
    }

    static func hash(_ path: String) throws(BoxError) -> Digest {
        let fd = try check("open", path) { open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        var h = SHA256Hasher()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BoxError.sys("read", path, errno: errno)
            }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return h.finish()
    }

    /// Writes the entries as a layer tar.
    func write(to w: ArchiveWriter) throws(BoxError) {
        for e in ordered {
            var t = TarEntry(path: Array(e.path.joined(separator: "/").utf8), kind: e.kind, mode: e.mode)
            t.uid = e.uid
            t.gid = e.gid
            t.mtime = e.mtime
            t.mtimeNanos = e.nanos
            switch e.kind {
            case .symlink:
                t.link = Array((e.link ?? "").utf8)
                try w.add(t)
            case .file:
                switch e.source {
                case .bytes(let b): try w.add(t, bytes: b)
                case .file(let p):
                    let fd = try check("open", p) { open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
                    defer { close(fd) }
                    var st = stat()
                    fstat(fd, &st)
                    t.size = Int64(st.st_size)
                    try w.add(t, copying: fd, what: p)
                case .none: try w.add(t, bytes: [])
                }
            default:
                try w.add(t)
            }
        }
    }

    /// The directory `path` and its parents, as WORKDIR makes them.
    static func writeDirectories(_ path: [String], tree: LayerTree, owner: (uid: UInt32, gid: UInt32)?, to w: ArchiveWriter) throws(BoxError) {
        var plan = CopyPlan(image: tree, owner: owner, chmod: nil)
        plan.put(plan.directoryEntry(path, created: true))
        try plan.write(to: w)
    }
}
