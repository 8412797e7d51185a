import BoxCgroups
import BoxCore
import BoxImage
import BoxOCI
import BoxVolume

/// Making a container from an image: the record, its directories, its spec.
public enum Containers {
    /// Creates a container of `imageRef` (already in `images`) as the options say; it is `created`, not started.
    public static func create(imageRef: String, options: RunOptions, images: ImageStore, store: ContainerStore,
                              cgroups: any CgroupBackend) throws(BoxError) -> ContainerRecord {
        let image = try images.resolve(imageRef)
        let config = try images.config(of: image)
        if let name = options.name { try validateName(name) }
        var options = options
        // Docker's default cgroup namespace: the host's on cgroup v1, a private one on v2
        if options.isolation.cgroupnsMode == nil { options.isolation.cgroupnsMode = cgroups.version == "v2" ? "private" : "host" }
        try planMounts(&options, image: config.config, store: store)
        let volumes = try VolumeStore(paths: store.paths)
        let id = ContainerStore.newID()
        let layers = images.layerDirs(of: image).reversed().map { $0 }
        let files = ImageFiles(topFirst: layers)
        let userSpec = options.user ?? config.config?.User ?? ""
        let user = try Users.resolve(userSpec, passwd: files.read("/etc/passwd"), group: files.read("/etc/group"))
        let hostname = options.hostname ?? String(id.prefix(12))
        let cgroupPath = Cgroups.path(forContainer: id)
        let spec = try SpecBuilder.spec(image: config, options: options, user: user, hostname: hostname,
                                        rootfs: store.dir(id) + "/rootfs", runDir: store.paths.runContainer(id),
                                        cgroupsPath: cgroupPath, volumes: volumeSpecMounts(options, volumes: volumes),
                                        resolve: { (dst) throws(BoxError) in try mountTarget(dst, layers: layers) })
        for b in options.binds where !Files.exists(b.source) {
            throw BoxError(.notFound, "invalid mount config for type \"bind\": bind source path does not exist: \(b.source)")
        }
        var settings = ContainerSettings(
            labels: (config.config?.Labels ?? [:]).merging(options.labels) { $1 }, autoRemove: options.autoRemove,
            networkMode: options.network, binds: options.binds,
            tmpfs: Dictionary(options.tmpfs, uniquingKeysWith: { $1 }), readOnly: options.readOnly,
            interactive: options.interactive,
            entrypoint: options.entrypoint.map { $0.isEmpty ? [] : [$0] } ?? config.config?.Entrypoint,
            cmd: options.command.isEmpty ? (options.entrypoint == nil ? config.config?.Cmd : nil) : options.command,
            user: userSpec, workingDir: spec.process.cwd, env: spec.process.env, stopSignal: options.stopSignal ?? config.config?.StopSignal,
            capAdd: options.capAdd, capDrop: options.capDrop, cgroupPath: cgroupPath, cgroupVersion: cgroups.version)
        settings.tty = options.tty
        settings.restartPolicy = options.restartPolicy
        settings.logDriver = options.logDriver
        settings.logOptions = options.logOptions
        settings.stopTimeout = options.stopTimeout
        settings.initProcess = options.initProcess
        settings.healthcheck = try options.health.apply(to: config.config?.Healthcheck)
        settings.volumes = options.volumes
        settings.tmpfsMounts = options.tmpfsMounts
        settings.volumesFrom = options.volumesFrom
        settings.resources = options.resources
        settings.security = options.security
        settings.isolation = options.isolation
        var record = ContainerRecord(
            id: id, name: options.name ?? Names.random(), image: imageRef, imageID: image.id, created: Time.now(),
            spec: spec, lowerDirs: layers, settings: settings, state: .created)
        // a random name that is taken is drawn again; a chosen one is the user's to change
        for attempt in 0..<10 {
            do {
                try store.create(record)
                break
            } catch where error.code == .alreadyExists && options.name == nil && attempt < 9 {
                record.name = Names.random()
            }
        }
        // the volumes after the record: `volume rm` and `prune` see who uses them before they exist
        do {
            _ = try attachVolumes(record, volumes: volumes, layers: [store.dir(id) + "/upper"] + layers)
        } catch {
            try? remove(record, store: store, anonymousVolumes: true)
            throw error
        }
        return record
    }

    /// Docker's rule for names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
    public static func validateName(_ name: String) throws(BoxError) {
        let u = Array(name.utf8)
        let alnum = { (c: UInt8) in (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        guard u.count >= 2, u.count <= 128, alnum(u[0]), u.allSatisfy({ alnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }) else {
            throw BoxError(.invalidArgument, "invalid container name \"\(name)\", only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
    }
}

/// Docker-style random names: `adjective_surname`.
public enum Names {
    static let left = ["admiring", "bold", "brave", "clever", "dazzling", "eager", "elegant", "focused", "gallant", "happy",
                       "jolly", "keen", "loving", "modest", "nifty", "quirky", "serene", "sharp", "tender", "vibrant",
                       "wizardly", "youthful", "zealous", "busy", "cool", "epic", "funny", "great", "hopeful", "kind"]
    static let right = ["albattani", "bell", "curie", "darwin", "euclid", "fermi", "galileo", "hopper", "jemison", "kepler",
                        "lovelace", "meitner", "newton", "noether", "pasteur", "ritchie", "shannon", "tesla", "thompson",
                        "turing", "wozniak", "yalow", "banach", "cerf", "dijkstra", "hamilton", "knuth", "liskov", "torvalds",
                        "goldberg"]

    /// A random name; a number is appended, as Docker does on retry, to keep collisions rare.
    public static func random() -> String {
        var g = SystemRandomNumberGenerator()
        let a = left[Int(g.next() % UInt64(left.count))]
        let b = right[Int(g.next() % UInt64(right.count))]
        return "\(a)_\(b)\(g.next() % 1000)"
    }
}
