#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS

/// What load, import and pull share: a private staging directory, and the steps that move verified
/// content into the store and record an image.
extension ImageStore {
    /// Runs `body` with a new staging directory `tmp/<kind>-<pid>-<rand>`, removed afterwards (a killed
    /// command's is swept by the next one). For the whole run it holds a shared lock on `tmp/`, which keeps
    /// garbage collection away from content stored but not yet recorded (see `collectGarbage`).
    func withStaging<T>(_ kind: String, _ body: (String) throws(BoxError) -> T) throws(BoxError) -> T {
        sweepStaleStaging()
        let guardLock = try FileLock(paths.tmp, shared: true)
        defer { guardLock.unlock() }
        let stage = "\(paths.tmp)/\(kind)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Files.mkdirAll(stage, mode: 0o700)
        defer { try? Tree.remove(stage) }
        return try body(stage)
    }

    /// Removes what loads, imports, pulls, commits and builds that were killed left in `tmp/` (`load-<pid>-…`,
    /// `pull-<pid>-…`, `commit-<pid>-…`, `build-<pid>-…` whose process is gone).
    public func sweepStaleStaging() {
        for name in (try? Files.list(paths.tmp)) ?? [] where ["load-", "pull-", "commit-", "build-"].contains(where: { name.hasPrefix($0) }) {
            guard let pid = name.split(separator: "-").dropFirst().first.flatMap({ Int32($0) }) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? Tree.remove(paths.tmp + "/" + name) }
        }
    }

    /// Writes a small blob (a manifest or config) unless the store has it.
    func putBlob(_ bytes: [UInt8], _ digest: Digest) throws(BoxError) {
        let path = paths.blob(digest.hex)
        if !Files.exists(path) { try Files.writeAtomic(path, bytes) }
    }

    /// Moves a verified blob file into `blobs/`, synced first so that a crash never leaves a torn file under
    /// its digest (another command may have stored it first).
    func storeBlob(_ file: String, _ digest: Digest) throws(BoxError) {
        let dest = paths.blob(digest.hex)
        if Files.exists(dest) { return }
        try check("fsync", file) {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            if fd < 0 { return -1 }
            defer { close(fd) }
            return fsync(fd)
        }
        try check("rename", file) { rename(file, dest) }
    }

    /// Moves an unpacked, verified layer into `layers/` (another command may have stored it first).
    func storeLayer(_ dir: String, _ diffID: Digest) throws(BoxError) {
        if rename(dir, paths.layer(diffID.hex)) != 0 && errno != EEXIST && errno != ENOTEMPTY {
            throw BoxError.sys("rename", dir, errno: errno)
        }
    }

    /// Puts `rec` in the image list. An image already there keeps its names, the time it entered the store
    /// and its RepoDigests; then `names` move to it, and `repoDigest` is recorded. Returns the stored record.
    static func upsert(_ rec: ImageRecord, names: [String], repoDigest: String? = nil,
                       in records: inout [ImageRecord]) -> ImageRecord {
        var rec = rec
        if let i = records.firstIndex(where: { $0.id == rec.id }) {
            rec.names = records[i].names
            rec.added = records[i].added
            rec.repoDigests = records[i].repoDigests
            records[i] = rec
        } else {
            records.append(rec)
        }
        for n in names { assign(n, to: rec.id, in: &records) }
        if let repoDigest { addRepoDigest(repoDigest, to: rec.id, in: &records) }
        return records.first { $0.id == rec.id } ?? rec
    }

    /// Records `repository@digest` for an image, replacing an older digest of the same repository.
    static func addRepoDigest(_ repoDigest: String, to id: Digest, in records: inout [ImageRecord]) {
        guard let i = records.firstIndex(where: { $0.id == id }) else { return }
        let repository = repoDigest.split(separator: "@").first.map(String.init) ?? repoDigest
        var digests = records[i].repoDigests ?? []
        digests.removeAll { $0.hasPrefix(repository + "@") }
        digests.append(repoDigest)
        records[i].repoDigests = digests
    }
}
