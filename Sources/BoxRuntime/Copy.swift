#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxOS
import CBox

/// `box cp`: files between a container and the host, or a tar stream, with Docker's semantics (docs/cp.md).
///
/// The chain: the container's root (`ContainerRoot`: its process's root, or its overlay and mounts held by a
/// helper) → the source, opened once (`CopySource`) → the destination, resolved on its side (`CopyTarget`) →
/// where the entries go (`CopyPlacement`, Docker's rules) → a tar of the source (`CopyArchiver`) piped into the
/// extractor (`CopyExtractor`, the image unpacker's `EntryWriter`). Everything in a container is resolved as the
/// container sees it: `openat2` with `RESOLVE_IN_ROOT`, then fd-relative without following symlinks.
public struct ContainerCopy {
    public let store: ContainerStore
    /// `-L`: a symlink named as the source is followed (inside the container, for a container's source).
    public var followLink: Bool
    /// `-a`: ownership is kept from the source. Without it what is copied in belongs to the container's user and
    /// what is copied out to the caller.
    public var archive: Bool

    /// A copier for the containers of `store`, with `-L` and `-a` as given.
    public init(store: ContainerStore, followLink: Bool = false, archive: Bool = false) {
        self.store = store
        self.followLink = followLink
        self.archive = archive
    }

    // MARK: - out of a container

    /// `box cp CONTAINER:PATH DEST`: `ref` is the container as the user named it. Returns the bytes of tar copied.
    @discardableResult
    public func copyOut(_ r: ContainerRecord, ref: String, path: String, to dest: String) throws(BoxError) -> Int64 {
        let hostAbs = CopyPath.onHost(dest)
        let target = try CopyTarget.resolve(CopyFS(root: nil), hostAbs) { dir, e in
            e == ENOENT ? BoxError(.notFound, "invalid output path: directory \"\(dir)\" does not exist")
                : BoxError.sys("stat", hostAbs, errno: e)
        }
        if let st = target.st, ContainerCopy.isDevice(st) {
            throw BoxError(.invalidArgument, "invalid output path: \"\(hostAbs)\" must be a directory or a regular file: got a device")
        }
        let root = try ContainerRoot.open(r, store: store)
        let src = try containerSource(root, ref: ref, path: path)
        let placement = try CopyPlacement.plan(src, target, assertsDirectory: CopyPath.assertsDirectory(dest),
                                               mustBeDirectory: "destination \"\(dest)\" must be a directory")
        return try transfer(src, placement, owner: archive ? .keep : .caller)
    }

    /// `box cp CONTAINER:PATH -`: a tar of the source on `fd`, its top entry named as the source's last component.
    public func copyOut(_ r: ContainerRecord, ref: String, path: String, toFD fd: Int32) throws(BoxError) {
        let root = try ContainerRoot.open(r, store: store)
        let src = try containerSource(root, ref: ref, path: path)
        var archiver = CopyArchiver(writer: try ArchiveWriter(fd: fd, name: "stdout"))
        try archiver.write(src, top: src.streamName)
    }

    private func containerSource(_ root: ContainerRoot, ref: String, path: String) throws(BoxError) -> CopySource {
        let abs = CopyPath.inContainer(path)
        return try CopySource(CopyFS(root: root.fd), typed: path, abs: abs, follow: followLink) { e in
            e == ENOENT ? BoxError(.notFound, "Could not find the file \(path) in container \(ref)") : BoxError.sys("lstat", abs, errno: e)
        }
    }

    // MARK: - into a container

    /// `box cp SRC CONTAINER:PATH`. Returns the bytes of tar copied.
    @discardableResult
    public func copyIn(from source: String, to r: ContainerRecord, ref: String, path: String) throws(BoxError) -> Int64 {
        let hostAbs = CopyPath.onHost(source)
        let src = try CopySource(CopyFS(root: nil), typed: source, abs: hostAbs, follow: followLink) { e in
            BoxError.sys("lstat", hostAbs, errno: e)
        }
        let root = try ContainerRoot.open(r, store: store)
        let target = try containerTarget(root, ref: ref, path: path)
        let placement = try CopyPlacement.plan(src, target, assertsDirectory: CopyPath.assertsDirectory(path),
                                               mustBeDirectory: "destination \"\(ref):\(path)\" must be a directory")
        return try transfer(src, placement, owner: owner(r))
    }

    /// `box cp - CONTAINER:PATH`: a tar read from `fd` (any compression) extracted into the directory `PATH`.
    /// Absolute names are taken as relative to it; a name that climbs out of it is refused.
    @discardableResult
    public func copyIn(fromFD fd: Int32, to r: ContainerRecord, ref: String, path: String) throws(BoxError) -> Int64 {
        let root = try ContainerRoot.open(r, store: store)
        let notDir = BoxError(.invalidArgument, "destination \"\(ref):\(path)\" must be a directory")
        let target: CopyTarget
        do { target = try containerTarget(root, ref: ref, path: path) } catch { throw notDir }
        guard target.isDir else { throw notDir }
        let placement = try CopyPlacement(openDirectoryOf: target)
        let extractor = CopyExtractor(owner: owner(r), atomicFiles: true, display: target.path)
        return try extractor.extract(fd: fd, name: "stdin", into: placement.dir)
    }

    private func containerTarget(_ root: ContainerRoot, ref: String, path: String) throws(BoxError) -> CopyTarget {
        let target = try CopyTarget.resolve(CopyFS(root: root.fd), CopyPath.inContainer(path)) { dir, e in
            switch e {
            case ENOENT: BoxError(.notFound, "Could not find the file \(dir) in container \(ref)")
            case ENOTDIR: BoxError(.invalidArgument, "extraction point is not a directory")
            default: BoxError.sys("open", dir, errno: e)
            }
        }
        if let st = target.st, ContainerCopy.isDevice(st) {
            throw BoxError(.invalidArgument, "destination \"\(ref):\(path)\" must be a directory or a regular file: got a device")
        }
        return target
    }

    /// Who owns what is copied in: the source's owners with `-a`, else the container's user.
    private func owner(_ r: ContainerRecord) -> CopyExtractor.Owner {
        archive ? .keep : .set(uid: r.spec.process.user.uid, gid: r.spec.process.user.gid)
    }

    static func isDevice(_ st: stat) -> Bool {
        (st.st_mode & S_IFMT) == S_IFCHR || (st.st_mode & S_IFMT) == S_IFBLK
    }

    // MARK: - the transfer

    /// Pipes a tar of `src` into the extractor at `p`. A new name is written as a temporary one and renamed into
    /// place at the end, so a failed copy (a full disk) leaves nothing of it; a merge into an existing directory
    /// replaces each file only when its new content is complete.
    private func transfer(_ src: CopySource, _ p: CopyPlacement, owner: CopyExtractor.Owner) throws(BoxError) -> Int64 {
        switch p.kind {
        case .merge(let top):
            let extractor = CopyExtractor(owner: owner, atomicFiles: true, display: p.path)
            return try CopyPipe.run(src, top: top, into: p.dir, extractor: extractor)
        case .rename(let name, let replace):
            let temp = ".box-cp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let final = p.path == "/" ? "/" + name : p.path + "/" + name
            do throws(BoxError) {
                let extractor = CopyExtractor(owner: owner, atomicFiles: false, display: p.path)
                let n = try CopyPipe.run(src, top: temp, into: p.dir, extractor: extractor)
                let rc = replace ? renameat(p.dir, temp, p.dir, name) : box_rename_noreplace(p.dir, temp, p.dir, name)
                if rc != 0 { throw BoxError.sys("rename into place", final, errno: errno) }
                return n
            } catch {
                try? Tree.removeAt(p.dir, temp, display: final)
                // the extractor names entries by their path: the temporary one is shown as the final one
                let written = (p.path == "/" ? "/" : p.path + "/") + temp
                throw BoxError(error.code, error.message.replacing("\"\(written)", with: "\"\(final)"), errno: error.errno)
            }
        }
    }
}

/// Where the entries of a copy go, by Docker's rules (its archive package's `PrepareArchiveCopy` and the
/// untar's `NoOverwriteDirNonDir`).
final class CopyPlacement {
    enum Kind {
        /// Written as a temporary name in `dir`, then renamed to `name` (replacing a non-directory when `replace`).
        case rename(name: String, replace: Bool)
        /// Merged into the existing directory `dir`: under `top`, or the source's contents straight into it.
        case merge(top: String?)
    }

    /// The directory written into (owned).
    let dir: Int32
    /// Its path, for messages.
    let path: String
    let kind: Kind

    private init(dir: Int32, path: String, kind: Kind) {
        self.dir = dir
        self.path = path
        self.kind = kind
    }

    /// The existing directory `t` itself, to merge into.
    convenience init(openDirectoryOf t: CopyTarget) throws(BoxError) {
        self.init(dir: try CopyPlacement.open(t), path: t.path, kind: .merge(top: nil))
    }

    deinit { close(dir) }

    static func plan(_ src: CopySource, _ t: CopyTarget, assertsDirectory: Bool,
                     mustBeDirectory: @autoclosure () -> String) throws(BoxError) -> CopyPlacement {
        if t.isDir {
            let dir = try open(t)
            if src.contentsOnly { return CopyPlacement(dir: dir, path: t.path, kind: .merge(top: nil)) }
            let inside = (t.path == "/" ? "" : t.path) + "/" + src.base
            var st = stat()
            guard fstatat(dir, src.base, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                return CopyPlacement(dir: dir, path: t.path, kind: .rename(name: src.base, replace: false))
            }
            let existingDir = (st.st_mode & S_IFMT) == S_IFDIR
            if existingDir && src.isDir { return CopyPlacement(dir: dir, path: t.path, kind: .merge(top: src.base)) }
            close(dir)
            if existingDir { throw BoxError(.conflict, "cannot overwrite directory \"\(inside)\" with non-directory \"\(t.path)\"") }
            if src.isDir { throw BoxError(.conflict, "cannot overwrite non-directory \"\(inside)\" with directory \"\(t.path)\"") }
            return CopyPlacement(dir: try open(t), path: t.path, kind: .rename(name: src.base, replace: true))
        }
        // t.name is set: only `/` has none, and it is a directory
        let name = t.name ?? "."
        if t.exists && src.isDir { throw BoxError(.conflict, "cannot copy directory") }
        if !t.exists && !src.isDir && assertsDirectory { throw BoxError(.invalidArgument, mustBeDirectory()) }
        let dir = fcntl(t.parent, F_DUPFD_CLOEXEC, 0)
        guard dir >= 0 else { throw BoxError.sys("dup", t.path, errno: errno) }
        return CopyPlacement(dir: dir, path: CopyPath.split(t.path).dir, kind: .rename(name: name, replace: t.exists))
    }

    /// A readable fd of the directory `t`, opened without following a symlink swapped in since it was resolved.
    private static func open(_ t: CopyTarget) throws(BoxError) -> Int32 {
        let fd = t.name.map { openat(t.parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) } ?? fcntl(t.parent, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw BoxError.sys("open", t.path, errno: errno) }
        return fd
    }
}

/// The tar between the two sides: written on a thread into a pipe, read and extracted on the caller's.
enum CopyPipe {
    static func run(_ src: CopySource, top: String?, into dir: Int32, extractor: CopyExtractor) throws(BoxError) -> Int64 {
        var fds: [Int32] = [-1, -1]
        try check("pipe", "copy") { box_pipe_cloexec(&fds) }
        let (r, w) = (fds[0], fds[1])
        // a larger pipe: fewer switches between the threads for big files
        _ = fcntl(w, 1031 /* F_SETPIPE_SZ */, 1 << 20)
        let failure = FirstError()
        let producer: Worker
        do {
            producer = try Worker {
                do throws(BoxError) {
                    var archiver = CopyArchiver(writer: try ArchiveWriter(fd: w, name: "pipe"))
                    try archiver.write(src, top: top)
                } catch {
                    failure.record(error)
                }
                close(w)
            }
        } catch {
            close(r)
            close(w)
            throw error
        }
        var bytes: Int64 = 0
        do throws(BoxError) {
            bytes = try extractor.extract(fd: r, name: "pipe", into: dir)
        } catch {
            failure.record(error)
        }
        // a producer still writing gets EPIPE and stops
        close(r)
        producer.join()
        // the first failure is the cause: a producer that failed ended the stream the extractor then found short,
        // and an extractor that failed closed the pipe the producer then found broken
        if let e = failure.error { throw e }
        return bytes
    }
}

/// The first error of two threads.
final class FirstError: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var first: BoxError?

    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    func record(_ e: BoxError) {
        pthread_mutex_lock(&lock)
        if first == nil { first = e }
        pthread_mutex_unlock(&lock)
    }

    var error: BoxError? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return first
    }
}
