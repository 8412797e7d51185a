#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxVolume

/// A container's volumes: which it mounts, making and filling them, and what goes with it when it is removed.
extension Containers {
    /// Completes the user's mounts: `--volumes-from` (what the other container mounts, where the user mounts
    /// nothing), the image's `VOLUME`s (anonymous volumes where nothing else is mounted), names for anonymous
    /// volumes. Two of the user's mounts at one place is Docker's `Duplicate mount point`.
    static func planMounts(_ o: inout RunOptions, image: ContainerConfig?, store: ContainerStore) throws(BoxError) {
        var taken: Set<String> = []
        let user = o.binds.map(\.destination) + o.volumes.map(\.destination) + o.tmpfs.map(\.0) + o.tmpfsMounts.map(\.destination)
        for d in user {
            let dst = MountFlags.clean(d)
            guard taken.insert(dst).inserted else { throw BoxError(.invalidArgument, "Duplicate mount point: \(dst)") }
        }
        // a later --volumes-from replaces an earlier one at the same place, as Docker's map of mount points does
        var from: [String: (BindMount?, VolumeMount?, TmpfsMount?)] = [:]
        var order: [String] = []
        for spec in o.volumesFrom {
            let (ref, readOnly) = try MountFlags.parseVolumesFrom(spec)
            let other = try store.resolve(ref).settings
            func put(_ dst: String, _ m: (BindMount?, VolumeMount?, TmpfsMount?)) {
                guard !taken.contains(dst) else { return }
                if from[dst] == nil { order.append(dst) }
                from[dst] = m
            }
            for var b in other.binds {
                b.readOnly = b.readOnly || readOnly == true
                b.origin = .volumesFrom
                b.mode = ""
                put(b.destination, (b, nil, nil))
            }
            for var v in other.volumes {
                v.readOnly = v.readOnly || readOnly == true
                (v.origin, v.mode, v.noCopy) = (.volumesFrom, "", true)
                put(v.destination, (nil, v, nil))
            }
            for t in other.tmpfsMounts { put(t.destination, (nil, nil, t)) }
        }
        for dst in order {
            guard let (b, v, t) = from[dst] else { continue }
            if let b { o.binds.append(b) }
            if let v { o.volumes.append(v) }
            if let t { o.tmpfsMounts.append(t) }
            taken.insert(dst)
        }
        for path in (image?.Volumes ?? [:]).keys.sorted() {
            let dst = MountFlags.clean(path)
            guard dst != "/", taken.insert(dst).inserted else { continue }
            o.volumes.append(VolumeMount(name: "", destination: dst, anonymous: true, origin: .image))
        }
        for i in o.volumes.indices where o.volumes[i].name.isEmpty { o.volumes[i].name = VolumeStore.randomName() }
    }

    /// Where a mount's destination is in the image: its symlinks followed inside the root, so the child creates
    /// the mount point there (through a dangling link too) and never outside. A link that leads to `/` is refused.
    static func mountTarget(_ dst: String, layers: [String]) throws(BoxError) -> String {
        let real = try MergedPath.inRoot(dst, layers: layers)
        if real == "/" { throw BoxError(.invalidArgument, "invalid mount config: destination \(dst) resolves to / in the container") }
        return real
    }

    /// The spec entries of the container's volumes: each volume's data directory, or what its options mount.
    static func volumeSpecMounts(_ o: RunOptions, volumes: VolumeStore) -> [RuntimeSpec.Mount] {
        o.volumes.map { v in
            let options = (try? volumes.get(v.name))?.Options ?? v.options
            return SpecBuilder.volumeMount(v, mountpoint: volumes.mountpoint(v.name), options: options)
        }
    }

    /// Makes the volumes the container names that do not exist, and fills each that is empty and was never
    /// filled from what the container's layers (top first) hold at its mount point. Returns the volumes it made.
    static func attachVolumes(_ r: ContainerRecord, volumes: VolumeStore, layers: [String]) throws(BoxError) -> [String] {
        guard !r.settings.volumes.isEmpty else { return [] }
        return try volumes.whileAttaching { () throws(BoxError) -> [String] in
            var made: [String] = []
            for m in r.settings.volumes {
                let (v, created) = try volumes.create(m.name, labels: m.labels, options: m.options, anonymous: m.anonymous)
                if created { made.append(m.name) }
                if m.noCopy || v.isMounted || v.Populated { continue }
                try volumes.update(m.name) { (v) throws(BoxError) in
                    guard !v.Populated else { return }
                    // a volume that holds data is the user's: it is never filled (and never will be)
                    if !isEmptyDirectory(v.Mountpoint) {
                        v.Populated = true
                        return
                    }
                    if try VolumeCopyUp(layers: layers).copy(m.destination, into: v.Mountpoint) { v.Populated = true }
                }
            }
            return made
        }
    }

    /// For each volume some container mounts, the IDs of those containers.
    public static func volumeUsers(_ store: ContainerStore) throws(BoxError) -> [String: [String]] {
        var users: [String: [String]] = [:]
        for r in try store.list() {
            for v in r.settings.volumes where users[v.name]?.contains(r.id) != true { users[v.name, default: []].append(r.id) }
        }
        return users
    }

    /// Removes a container, and with `anonymousVolumes` (`rm -v`, `run --rm`) its anonymous volumes that no other
    /// container uses. Named volumes always stay.
    public static func remove(_ r: ContainerRecord, store: ContainerStore, anonymousVolumes: Bool) throws(BoxError) {
        try store.delete(r.id)
        guard anonymousVolumes else { return }
        try removeAnonymousVolumes(r.settings.volumes, store: store)
    }

    /// Removes those of `mounts` that are anonymous volumes no container uses; one still in use is not an error.
    static func removeAnonymousVolumes(_ mounts: [VolumeMount], store: ContainerStore) throws(BoxError) {
        let names = mounts.filter(\.anonymous).map(\.name)
        guard !names.isEmpty else { return }
        _ = try VolumeStore(paths: store.paths).remove(names, force: true) { () throws(BoxError) in try volumeUsers(store) }
    }

    static func isEmptyDirectory(_ path: String) -> Bool {
        guard let d = opendir(path) else { return false }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [46] && name != [46, 46] { return false }
        }
        return true
    }
}
