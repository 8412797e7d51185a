#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS

/// The containers on this host: one directory per ID under `containers/`, holding `container.json`,
/// the overlay's `upper/` and `work/`, and the `rootfs/` mount point. Generated files live in the run root.
///
/// Names are reserved by `containers/names/<name>` symlinks (atomic, no lock); a container's directory is
/// locked while its record changes.
public struct ContainerStore: Sendable {
    public let paths: BoxPaths

    public init(paths: BoxPaths) throws(BoxError) {
        self.paths = paths
        try Files.mkdirAll(paths.containers + "/names", mode: 0o700)
        try Files.mkdirAll(paths.runContainers, mode: 0o700)
    }

    public func dir(_ id: String) -> String { paths.container(id) }
    public func recordPath(_ id: String) -> String { paths.container(id) + "/container.json" }
    /// The container's log file (`--log-driver json-file` or `k8s-file`); rotated files add `.1`, `.2`, ….
    public func logPath(_ id: String) -> String { paths.container(id) + "/ctr.log" }
    /// The monitor's attach socket, in the run root (gone after a reboot, as the monitor is).
    public func attachSocketPath(_ id: String) -> String { paths.runContainer(id) + "/attach" }
    /// The exit status a monitor leaves when it cannot update the record itself.
    public func exitPath(_ id: String) -> String { paths.container(id) + "/exit" }

    /// Every container, reconciled with the processes that are really alive, newest first.
    public func list() throws(BoxError) -> [ContainerRecord] {
        var out: [ContainerRecord] = []
        for id in try Files.list(paths.containers) where ContainerStore.isID(id) {
            // a container being removed, or one whose record is not yet written, is skipped
            guard let r = try? JSON.read(ContainerRecord.self, from: recordPath(id)) else { continue }
            out.append(reconcile(r))
        }
        return out.sorted { $0.created > $1.created }
    }

    /// A container by full ID, name, or unique ID prefix.
    public func resolve(_ ref: String) throws(BoxError) -> ContainerRecord {
        if ContainerStore.isID(ref), let r = try? JSON.read(ContainerRecord.self, from: recordPath(ref)) {
            return reconcile(r)
        }
        let name = ref.hasPrefix("/") ? String(ref.dropFirst()) : ref
        if let id = nameOwner(name), let r = try? JSON.read(ContainerRecord.self, from: recordPath(id)) {
            return reconcile(r)
        }
        let ids = try Files.list(paths.containers).filter { ContainerStore.isID($0) && $0.hasPrefix(ref) }
        if ids.count > 1 { throw BoxError(.invalidArgument, "multiple containers match \"\(ref)\": use more of the ID") }
        if let id = ids.first, !ref.isEmpty, let r = try? JSON.read(ContainerRecord.self, from: recordPath(id)) {
            return reconcile(r)
        }
        throw BoxError(.notFound, "no such container: \(ref)")
    }

    /// `containers/names/<name>`: a symlink to the ID of the container that holds the name.
    func namePath(_ name: String) -> String { paths.containers + "/names/" + name }

    /// The ID that holds `name`, if any.
    func nameOwner(_ name: String) -> String? {
        guard !name.isEmpty, !name.contains("/") else { return nil }
        var buf = [CChar](repeating: 0, count: 128)
        let n = readlink(namePath(name), &buf, buf.count - 1)
        guard n == 64 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Takes `name` for `id`: `symlink` is atomic, so of two commands that want one name exactly one wins,
    /// without a lock or a scan. A link left by a create that died before writing its record is taken over.
    func reserve(_ name: String, for id: String) throws(BoxError) {
        for _ in 0..<2 {
            if symlink(id, namePath(name)) == 0 { return }
            guard errno == EEXIST else { throw BoxError.sys("reserve name", name, errno: errno) }
            guard let owner = nameOwner(name), !Files.exists(dir(owner)) else { break }
            unlink(namePath(name))
        }
        throw BoxError(.alreadyExists, "the container name \"/\(name)\" is already in use by another container; remove or rename that container to reuse the name")
    }

    /// A record whose process died unseen (a killed box, a reboot) is shown as exited.
    func reconcile(_ r: ContainerRecord) -> ContainerRecord {
        // between two runs of a restart policy there is no process, only the monitor that waits
        // and a process that just ended is the monitor's to record: while it lives, its record is the truth
        if r.state.monitorPid != 0 && ProcessInfo.isAlive(r.state.monitorPid, startTime: r.state.monitorStartTime) { return r }
        guard r.state.status != .created, r.state.status != .exited, !ProcessInfo.isAlive(r.state.pid, startTime: r.state.pidStartTime) else { return r }
        var c = r
        c.state.status = .exited
        c.state.exitCode = c.state.exitCode == 0 ? 137 : c.state.exitCode
        c.state.finishedAt = c.state.finishedAt ?? Time.now()
        c.state.pid = 0
        c.state.monitorPid = 0
        return c
    }

    /// Creates the container's directory and first record; the name must be free.
    public func create(_ record: ContainerRecord) throws(BoxError) {
        // the directory before the name: a name whose directory is missing is known to be stale
        let d = dir(record.id)
        try check("create", d) { mkdir(d, 0o700) }
        var reserved = false
        do throws(BoxError) {
            for sub in ["upper", "work", "rootfs"] { try Files.mkdirAll(d + "/" + sub, mode: 0o755) }
            try reserve(record.name, for: record.id)
            reserved = true
            try JSON.write(record, to: recordPath(record.id))
        } catch {
            try? Tree.remove(d)
            if reserved { unlink(namePath(record.name)) }
            throw error
        }
    }

    /// Changes a record under its lock and saves it; returns the new record.
    @discardableResult
    public func update(_ id: String, _ body: (inout ContainerRecord) throws(BoxError) -> Void) throws(BoxError) -> ContainerRecord {
        try withLock(dir(id)) { () throws(BoxError) -> ContainerRecord in
            var r = try JSON.read(ContainerRecord.self, from: recordPath(id))
            try body(&r)
            try JSON.write(r, to: recordPath(id))
            return r
        }
    }

    /// Removes every trace of a container: its runtime files, its record, its directory, then its name.
    public func delete(_ id: String) throws(BoxError) {
        let name = (try? JSON.read(ContainerRecord.self, from: recordPath(id)))?.name
        try Tree.remove(paths.runContainer(id))
        // the record goes first, so a half-removed container is never listed; under the lock, so an `update`
        // (a run recording its exit) either finished before or finds the record gone, and never writes it back
        if let lock = try? FileLock(dir(id)) {
            unlink(recordPath(id))
            lock.unlock()
        }
        try Tree.remove(dir(id))
        // the name last: it is free only when nothing of the old container is left
        if let name, nameOwner(name) == id { unlink(namePath(name)) }
    }

    /// Whether `s` is a full container ID (64 lowercase hex).
    public static func isID(_ s: String) -> Bool { Digest.isHex64(s) }

    /// A new random container ID.
    public static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<64).map { _ in digits[Int(g.next() % 16)] })
    }
}
