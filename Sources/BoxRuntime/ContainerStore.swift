#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS

/// The containers on this host: one directory per ID under `containers/`, holding `container.json`,
/// the overlay's `upper/` and `work/`, and the `rootfs/` mount point. Generated files live in the run root.
///
/// Locks: the `containers/` directory while a name is chosen; a container's directory while its record changes.
public struct ContainerStore: Sendable {
    public let paths: BoxPaths

    public init(paths: BoxPaths) throws(BoxError) {
        self.paths = paths
        try Files.mkdirAll(paths.containers, mode: 0o700)
        try Files.mkdirAll(paths.runContainers, mode: 0o700)
    }

    public func dir(_ id: String) -> String { paths.container(id) }
    public func recordPath(_ id: String) -> String { paths.container(id) + "/container.json" }

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

    /// A container by full ID, unique ID prefix or name.
    public func resolve(_ ref: String) throws(BoxError) -> ContainerRecord {
        if ContainerStore.isID(ref), let r = try? JSON.read(ContainerRecord.self, from: recordPath(ref)) {
            return reconcile(r)
        }
        let all = try list()
        if let byName = all.first(where: { $0.name == ref || "/" + $0.name == ref }) { return byName }
        let hits = all.filter { $0.id.hasPrefix(ref) }
        if hits.count == 1 && !ref.isEmpty { return hits[0] }
        if hits.count > 1 { throw BoxError(.invalidArgument, "multiple containers match \"\(ref)\": use more of the ID") }
        throw BoxError(.notFound, "no such container: \(ref)")
    }

    /// A record whose process died unseen (a killed box, a reboot) is shown as exited.
    func reconcile(_ r: ContainerRecord) -> ContainerRecord {
        guard r.state.status == .running, !ProcessInfo.isAlive(r.state.pid, startTime: r.state.pidStartTime) else { return r }
        var c = r
        c.state.status = .exited
        c.state.exitCode = c.state.exitCode == 0 ? 137 : c.state.exitCode
        c.state.finishedAt = c.state.finishedAt ?? Time.now()
        c.state.pid = 0
        return c
    }

    /// Creates the container's directory and first record; the name must be free (checked under the lock).
    public func create(_ record: ContainerRecord) throws(BoxError) {
        try withLock(paths.containers) { () throws(BoxError) in
            let names = Set(try list().map(\.name))
            if names.contains(record.name) {
                throw BoxError(.alreadyExists, "the container name \"/\(record.name)\" is already in use by another container; remove or rename that container to reuse the name")
            }
            let d = dir(record.id)
            try check("create", d) { mkdir(d, 0o700) }
            do throws(BoxError) {
                for sub in ["upper", "work", "rootfs"] { try Files.mkdirAll(d + "/" + sub, mode: 0o755) }
                try JSON.write(record, to: recordPath(record.id))
            } catch {
                try? Tree.remove(d)
                throw error
            }
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

    /// Removes every trace of a container: its runtime files, then its directory.
    public func delete(_ id: String) throws(BoxError) {
        try Tree.remove(paths.runContainer(id))
        // the record goes first, so a half-removed container is never listed
        unlink(recordPath(id))
        try Tree.remove(dir(id))
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
