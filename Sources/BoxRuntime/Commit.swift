import BoxCore
import BoxImage
import BoxOCI
import BoxOS

/// `box commit`: a container's writable layer becomes a new image over the container's image.
///
/// The config is the image's, with the container's settings as Docker commits them (Env, Cmd, Entrypoint,
/// WorkingDir, User, Labels, StopSignal, Healthcheck), then the `--change` instructions. A running container is
/// frozen while its layer is read, and thawed after, also when the commit fails.
public struct ContainerCommit {
    public let lifecycle: Lifecycle
    public let images: ImageStore

    public init(lifecycle: Lifecycle, images: ImageStore) {
        self.lifecycle = lifecycle
        self.images = images
    }

    /// Commits the container `ref`; `pause` freezes it (if running) while its layer is read.
    public func commit(_ ref: String, options: CommitOptions, pause: Bool) throws(BoxError) -> ImageRecord {
        // a bad name or change is refused before the container is touched
        _ = try options.validate()
        let r = try lifecycle.store.resolve(ref)
        let base = try images.resolve(r.imageID.description)
        let image = try images.config(of: base).config
        let config = ContainerCommit.config(of: r, image: image, home: ContainerCommit.defaultHome(r))
        let walk = UpperWalk(container: r, store: lifecycle.store)
        let source = CommitSource(base: base, config: config, createdBy: (r.settings.cmd ?? []).joined(separator: " ")) {
            (writer) throws(BoxError) in
            try withPause(r, pause) { () throws(BoxError) in try LayerDiff.write(walk, to: writer) }
        }
        return try images.commit(source, options: options)
    }

    /// Runs `body` with a running container frozen (when `pause`), thawing it after. A container that is not
    /// running, or that the user paused, is left as it is.
    func withPause(_ r: ContainerRecord, _ pause: Bool, _ body: () throws(BoxError) -> Void) throws(BoxError) {
        guard pause, r.state.status == .running else { return try body() }
        do {
            try lifecycle.pause(r)
        } catch {
            // one that ended, or that the user paused, since it was looked up has nothing to freeze
            if let now = try? lifecycle.store.resolve(r.id), now.state.status != .running { return try body() }
            throw error
        }
        defer { try? lifecycle.unpause(r) }
        try body()
    }

    /// The config Docker commits: the image's, with the container's settings over it. The variables box adds
    /// to every container (`PATH`, `HOSTNAME`, `HOME` at their defaults) stay out of Env unless the image set them.
    static func config(of r: ContainerRecord, image: ContainerConfig?, home: String?) -> ContainerConfig {
        var c = image ?? ContainerConfig()
        let s = r.settings
        let imageKeys = Set((image?.Env ?? []).map { $0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0] })
        var added = [SpecBuilder.defaultPath, "HOSTNAME=\(r.spec.hostname ?? "")"]
        if let home { added.append("HOME=\(home)") }
        let env = s.env.filter { kv in
            let key = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            return imageKeys.contains(key) || !added.contains(kv)
        }
        c.Env = env.isEmpty ? nil : env
        c.Cmd = s.cmd
        c.Entrypoint = s.entrypoint
        // the spec's cwd is `/` when neither the image nor `-w` gave one: Docker's config then has none
        if !(s.workingDir == "/" && (image?.WorkingDir ?? "").isEmpty) { c.WorkingDir = s.workingDir.isEmpty ? nil : s.workingDir }
        c.User = s.user.isEmpty ? nil : s.user
        c.Labels = s.labels.isEmpty ? nil : s.labels
        c.StopSignal = s.stopSignal
        if let h = s.healthcheck {
            if h.test != image?.Healthcheck?.Test {
                c.Healthcheck = Healthcheck(Test: h.test, Interval: h.interval, Timeout: h.timeout, StartPeriod: h.startPeriod,
                                            Retries: h.retries)
            }
        } else if let t = image?.Healthcheck?.Test, t.first != "NONE" {
            // `--no-healthcheck`
            c.Healthcheck = Healthcheck(Test: ["NONE"])
        }
        return c
    }

    /// The home directory box gave the container's user (from the image's `/etc/passwd`), if it resolves.
    static func defaultHome(_ r: ContainerRecord) -> String? {
        let files = ImageFiles(topFirst: r.lowerDirs)
        return (try? Users.resolve(r.settings.user, passwd: files.read("/etc/passwd"), group: files.read("/etc/group")))?.home
    }
}

/// A container's writable layer as an OCI layer tar: its entries as they are (owners, modes, xattrs, hard
/// links, symlinks), overlay whiteouts as `.wh.NAME` and opaque directories with a `.wh..wh..opq` entry.
enum LayerDiff {
    static func write(_ walk: UpperWalk, to writer: ArchiveWriter) throws(BoxError) {
        var files = FileEntries(writer: writer)
        try walk.walk { (e) throws(BoxError) in
            if e.isWhiteout {
                // Docker's whiteout: an empty regular file, mode 0600, with the whiteout's owner and time
                let parent = e.path.dropLast(e.name.count)
                var w = MergeWalker.entry(Array(parent) + Array(".wh.".utf8) + e.name, .file, e.st)
                w.mode = 0o600
                try writer.add(w)
            } else if let fd = e.fd {
                var d = MergeWalker.entry(e.path, .directory, e.st)
                d.xattrs = MergeWalker.xattrs(fd)
                try writer.add(d)
                if e.isOpaque {
                    // the marker takes its directory's permissions and owner
                    var o = MergeWalker.entry(e.path + Array("/.wh..wh..opq".utf8), .file, e.st)
                    o.mode &= 0o777
                    try writer.add(o)
                }
            } else {
                try files.add(e.dirfd, e.name, e.path, e.st)
            }
        }
    }
}
