#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// One entry of a container's writable layer, met in a walk of its `upper/` directory.
struct UpperEntry {
    /// The path below the root, as bytes, without a leading `/`.
    let path: [UInt8]
    /// The last component of `path`, and the open directory of `upper/` that holds it.
    let name: [UInt8]
    let dirfd: Int32
    let st: stat
    /// The entry's own open directory (directories only, valid during the visit).
    let fd: Int32?
    /// An overlay whiteout (a 0:0 character device): the name was deleted.
    let isWhiteout: Bool
    /// An opaque directory: nothing of the layers below shows through it.
    let isOpaque: Bool
    /// What the path was in the image's layers (the topmost layer that has it); nil when it was not there.
    let below: stat?

    var isDirectory: Bool { (st.st_mode & S_IFMT) == S_IFDIR }
}

/// A depth-first walk of a container's `upper/` in byte order of names (the order of Go's `filepath.Walk`, which
/// Docker's diff and commit use), with the image's layers walked alongside to tell what each path was before.
///
/// The image's layers are merged as overlayfs merges them: the topmost layer with a name decides, a whiteout
/// there means the name was absent, and a directory gathers the layers below it down to an opaque one. Every
/// directory is opened relative to its parent's fd without following symlinks.
///
/// The mount points box makes for every container's own mounts (`/proc`, `/dev` and its parts, `/sys`,
/// `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`) are left out, as Docker keeps them in an init layer that
/// diffs and commits never show. So is a directory that holds nothing else and has its image's mode and owner
/// (`/etc`, whose mtime the placeholders changed).
struct UpperWalk {
    let upper: String
    /// The image's layer directories, top first.
    let lowers: [String]
    /// Paths (no leading `/`) of the mount points to leave out.
    let hidden: Set<[UInt8]>

    init(upper: String, lowers: [String], hidden: Set<[UInt8]> = UpperWalk.mountPoints) {
        self.upper = upper
        self.lowers = lowers
        self.hidden = hidden
    }

    /// A container's writable layer over its image's layers.
    init(container r: ContainerRecord, store: ContainerStore) {
        self.init(upper: store.dir(r.id) + "/upper", lowers: r.lowerDirs)
    }

    /// The mount points of every container: the default mounts and the three files of `/etc`.
    static let mountPoints: Set<[UInt8]> = {
        let dests = SpecBuilder.defaultMounts().map(\.destination) + ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]
        return Set(dests.map { Array($0.utf8.dropFirst()) })
    }()

    /// Calls `visit` for each entry of the writable layer, a directory before what it holds.
    func walk(_ visit: (UpperEntry) throws(BoxError) -> Void) throws(BoxError) {
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        let top = try check("open layer", upper) { open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        fds.append(top)
        var below: [Int32] = []
        for layer in lowers {
            let fd = try check("open layer", layer) { open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            fds.append(fd)
            below.append(fd)
        }
        try directory(top, below: below, path: [], visit)
    }

    private func directory(_ dirfd: Int32, below: [Int32], path: [UInt8], _ visit: (UpperEntry) throws(BoxError) -> Void) throws(BoxError) {
        for name in try MergeWalker.names(dirfd, path: path).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let child = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name
            var st = stat()
            // a name that a running container removed since the listing is skipped
            guard fstatat(dirfd, name.cString, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let whiteout = MergeWalker.isWhiteout(st)
            if hidden.contains(child) && !whiteout { continue }
            var sub: [Int32] = []
            defer { for d in sub { close(d) } }
            let before = UpperWalk.lookUp(name, in: below, directories: &sub)
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                try visit(UpperEntry(path: child, name: name, dirfd: dirfd, st: st, fd: nil, isWhiteout: whiteout,
                                     isOpaque: false, below: before))
                continue
            }
            let fd = openat(dirfd, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            if try onlyMountPoints(fd, path: child, st: st, below: before) { continue }
            try visit(UpperEntry(path: child, name: name, dirfd: dirfd, st: st, fd: fd, isWhiteout: false,
                                 isOpaque: MergeWalker.isOpaque(fd), below: before))
            try directory(fd, below: sub, path: child, visit)
        }
    }

    /// What `name` was in the merged layers below (nil when absent or whited out); opens the directories that
    /// make it up, top first, into `directories` (the caller closes them).
    static func lookUp(_ name: [UInt8], in below: [Int32], directories: inout [Int32]) -> stat? {
        var found: stat?
        for layer in below {
            var ls = stat()
            guard fstatat(layer, name.cString, &ls, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if MergeWalker.isWhiteout(ls) { break }
            if found == nil { found = ls }
            guard (ls.st_mode & S_IFMT) == S_IFDIR else { break }
            let d = openat(layer, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard d >= 0 else { break }
            directories.append(d)
            if MergeWalker.isOpaque(d) { break }
        }
        return found
    }

    /// Whether a directory holds only left-out mount points and otherwise matches the image's (mode and owner).
    private func onlyMountPoints(_ fd: Int32, path: [UInt8], st: stat, below: stat?) throws(BoxError) -> Bool {
        guard let below, below.st_mode == st.st_mode, below.st_uid == st.st_uid, below.st_gid == st.st_gid,
              hidden.contains(where: { $0.count > path.count && $0.starts(with: path + [UInt8(ascii: "/")]) }) else { return false }
        let names = try MergeWalker.names(fd, path: path)
        return !names.isEmpty && names.allSatisfy { hidden.contains(path + [UInt8(ascii: "/")] + $0) }
    }
}

/// One line of `box diff`: `A`dded, `C`hanged or `D`eleted, and the path in the container.
public struct Change: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case added = "A", changed = "C", deleted = "D"
    }

    public var kind: Kind
    public var path: String

    public init(_ kind: Kind, _ path: String) {
        self.kind = kind
        self.path = path
    }
}

/// `box diff`: a container's changes to its image's filesystem, by Docker's rules for overlay layers.
///
/// The writable layer is walked in path order. A whiteout is `D`; an opaque directory that the image had is `D`
/// (it was removed and made again; what it holds now follows as `A` or `C`). Anything else is `C` when the image
/// had the path and `A` when it did not, except a directory whose size, mode and mtime match the image's, which
/// is not listed. Before an `A` or `D` whose parent is not listed yet, the parent is listed as `C`.
public enum ContainerDiff {
    /// The changes of a container, running or not.
    public static func changes(_ r: ContainerRecord, store: ContainerStore) throws(BoxError) -> [Change] {
        try changes(UpperWalk(container: r, store: store))
    }

    static func changes(_ walk: UpperWalk) throws(BoxError) -> [Change] {
        var out: [Change] = []
        var listedDirs = Set<[UInt8]>()
        try walk.walk { (e) throws(BoxError) in
            let kind: Change.Kind
            if e.isWhiteout || (e.isOpaque && e.below != nil) {
                kind = .deleted
            } else if let below = e.below {
                if e.isDirectory && (below.st_mode & S_IFMT) == S_IFDIR && e.st.st_size == below.st_size
                    && e.st.st_mode == below.st_mode && sameTime(e.st.st_mtim, below.st_mtim) {
                    return
                }
                kind = .changed
            } else {
                kind = .added
            }
            if e.isDirectory { listedDirs.insert(e.path) }
            if kind != .changed, let slash = e.path.lastIndex(of: UInt8(ascii: "/")) {
                let parent = Array(e.path[..<slash])
                if listedDirs.insert(parent).inserted { out.append(Change(.changed, display(parent))) }
            }
            out.append(Change(kind, display(e.path)))
        }
        return out
    }

    /// Go's `sameFsTime`: the same second, and the same nanoseconds unless either has none.
    static func sameTime(_ a: timespec, _ b: timespec) -> Bool {
        a.tv_sec == b.tv_sec && (a.tv_nsec == b.tv_nsec || a.tv_nsec == 0 || b.tv_nsec == 0)
    }

    static func display(_ path: [UInt8]) -> String { "/" + String(decoding: path, as: UTF8.self) }
}
