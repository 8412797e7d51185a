#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOS

/// The volumes on this host: `ROOT/volumes/<name>/` holding `volume.json` and the data, `_data/`.
///
/// A volume appears whole or not at all: it is written in a private directory `volumes/.tmp-PID-RAND/`, then
/// renamed to its name, so of two commands that create one name exactly one rename wins and the other uses
/// the winner's. Removal renames it to `volumes/.rm-…` first, so it disappears at once. `volumes/` itself is
/// locked (`flock`): shared by whoever attaches volumes to a container, exclusive by `rm` and `prune`, so a
/// volume is never removed between the check that no container uses it and its disappearance.
public struct VolumeStore: Sendable {
    /// `ROOT/volumes`.
    public let dir: String

    /// Opens the store; `volumes/` is made when the first volume is (a command that fails makes nothing).
    public init(root: String) throws(BoxError) {
        dir = root + "/volumes"
    }

    private func ensureDir() throws(BoxError) { try Files.mkdirAll(dir, mode: 0o700) }

    public init(paths: BoxPaths) throws(BoxError) { try self.init(root: paths.root) }

    /// The volume's directory.
    public func path(_ name: String) -> String { dir + "/" + name }
    /// Its data directory: what containers mount.
    public func mountpoint(_ name: String) -> String { path(name) + "/_data" }
    func recordPath(_ name: String) -> String { path(name) + "/volume.json" }

    /// Whether `s` can name a volume here (so it is a path component and no temp directory).
    static func isName(_ s: String) -> Bool { (try? VolumeName.validate(s)) != nil }

    /// A volume by name.
    public func get(_ name: String) throws(BoxError) -> Volume {
        guard VolumeStore.isName(name), let v = try? JSON.read(Volume.self, from: recordPath(name)) else {
            throw BoxError(.notFound, "get \(name): no such volume")
        }
        return v
    }

    /// Every volume, by name.
    public func list() throws(BoxError) -> [Volume] {
        try Files.list(dir).filter(VolumeStore.isName).compactMap { try? JSON.read(Volume.self, from: recordPath($0)) }
    }

    /// Creates `name` (a random 64-hex name if nil) unless it exists. Returns the volume and whether this call
    /// made it; an existing one is returned as it is, as Docker's `volume create` does.
    public func create(_ name: String?, labels: [String: String]?, options: [String: String]?,
                       anonymous: Bool) throws(BoxError) -> (Volume, created: Bool) {
        let name = name ?? VolumeStore.randomName()
        try VolumeName.validate(name)
        if let v = try? get(name) { return (v, false) }
        try VolumeName.validateOptions(options ?? [:], volume: name)
        try ensureDir()
        removeStale()
        let tmp = dir + "/.tmp-\(getpid())-\(VolumeStore.randomName().prefix(12))"
        var lbl = labels
        if anonymous { lbl = (lbl ?? [:]).merging([Volume.anonymousLabel: ""]) { a, _ in a } }
        let v = Volume(name: name, mountpoint: mountpoint(name), createdAt: Time.format(seconds: Int(Time.nowSeconds())),
                       labels: lbl, options: options, anonymous: anonymous)
        do throws(BoxError) {
            try check("create volume", name) { mkdir(tmp, 0o700) }
            try check("create volume", name) { mkdir(tmp + "/_data", 0o755) }
            try JSON.write(v, to: tmp + "/volume.json")
            if rename(tmp, path(name)) != 0 {
                let e = errno
                guard e == EEXIST || e == ENOTEMPTY else { throw BoxError.sys("create volume", name, errno: e) }
                // another command made it first: theirs is the volume
                try? Tree.remove(tmp)
                return (try get(name), false)
            }
        } catch {
            try? Tree.remove(tmp)
            throw error
        }
        return (v, true)
    }

    /// Changes a volume's record under the volume directory's lock.
    @discardableResult
    public func update(_ name: String, _ body: (inout Volume) throws(BoxError) -> Void) throws(BoxError) -> Volume {
        try withLock(path(name)) { () throws(BoxError) -> Volume in
            var v = try get(name)
            try body(&v)
            try JSON.write(v, to: recordPath(name))
            return v
        }
    }

    /// Runs `body` with `volumes/` locked shared: volumes may be created and filled, none removed.
    public func whileAttaching<T>(_ body: () throws(BoxError) -> T) throws(BoxError) -> T {
        try ensureDir()
        let lock = try FileLock(dir, shared: true)
        defer { lock.unlock() }
        return try body()
    }

    /// Removes volumes that `users` says no container uses, under the exclusive lock. `users` gives the IDs of
    /// the containers that use a volume. A missing volume is an error unless `force`. Returns, per name, the
    /// bytes its data held, or the error that kept it.
    public func remove(_ names: [String], force: Bool, users: () throws(BoxError) -> [String: [String]])
        throws(BoxError) -> [(String, Result<Int64, BoxError>)] {
        var out: [(String, Result<Int64, BoxError>)] = []
        var doomed: [String] = []
        do {
            try ensureDir()
            let lock = try FileLock(dir)
            defer { lock.unlock() }
            let used = try users()
            for name in names {
                do throws(BoxError) {
                    _ = try get(name)
                    if let ids = used[name], !ids.isEmpty {
                        throw BoxError(.conflict, "remove \(name): volume is in use - [\(ids.joined(separator: ", "))]")
                    }
                    let size = Tree.size(mountpoint(name))
                    doomed.append(try detach(name))
                    out.append((name, .success(size)))
                } catch where error.code == .notFound && force {
                    continue
                } catch {
                    out.append((name, .failure(error)))
                }
            }
        }
        for d in doomed { try? Tree.remove(d) }
        return out
    }

    /// Moves a volume out of sight (`volumes/.rm-…`), to be removed without the lock; returns where it went.
    private func detach(_ name: String) throws(BoxError) -> String {
        let gone = dir + "/.rm-\(getpid())-\(VolumeStore.randomName().prefix(12))"
        try check("remove volume", name) { rename(path(name), gone) }
        return gone
    }

    /// Removes what killed commands left: `.tmp-PID-…` and `.rm-PID-…` whose process is gone.
    func removeStale() {
        for entry in (try? Files.list(dir)) ?? [] where entry.hasPrefix(".tmp-") || entry.hasPrefix(".rm-") {
            let pid = entry.split(separator: "-").dropFirst().first.flatMap { Int32($0) } ?? 0
            if pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) { continue }
            try? Tree.remove(dir + "/" + entry)
        }
    }

    /// A random 64-hex name, as Docker gives anonymous volumes.
    public static func randomName() -> String {
        var g = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<64).map { _ in digits[Int(g.next() % 16)] })
    }
}
