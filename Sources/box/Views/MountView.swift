import BoxCore
import BoxRuntime
import BoxVolume

/// A container's mounts as Docker's `inspect` and `ps` show them.
enum MountView {
    /// One entry of `Mounts`; `Name` and `Driver` only for volumes.
    struct Entry: Encodable {
        var `Type`: String
        var Name: String?
        var Source: String
        var Destination: String
        var Driver: String?
        var Mode: String
        var RW: Bool
        var Propagation: String
    }

    /// One entry of `HostConfig.Mounts`: a `--mount` as given.
    struct HostMount: Encodable {
        struct DriverConfig: Encodable {
            var Name: String?
            var Options: [String: String]?
        }

        struct VolumeOptions: Encodable {
            var NoCopy: Bool?
            var Labels: [String: String]?
            var DriverConfig: DriverConfig?
        }

        struct TmpfsOptions: Encodable {
            var SizeBytes: Int64?
            var Mode: UInt32?
        }

        var `Type`: String
        var Source: String?
        var Target: String
        var ReadOnly: Bool?
        var VolumeOptions: VolumeOptions?
        var TmpfsOptions: TmpfsOptions?
    }

    /// `Mounts`: volumes, binds and `--mount` tmpfs, by destination.
    static func mounts(_ st: ContainerSettings, paths: BoxPaths) -> [Entry] {
        let volumes = paths.root + "/volumes/"
        var out = st.binds.map {
            Entry(Type: "bind", Source: $0.source, Destination: $0.destination, Mode: $0.mode ?? ($0.readOnly ? "ro" : ""),
                  RW: !$0.readOnly, Propagation: "rprivate")
        }
        out += st.volumes.map {
            Entry(Type: "volume", Name: $0.name, Source: volumes + $0.name + "/_data", Destination: $0.destination, Driver: "local",
                  Mode: $0.mode, RW: !$0.readOnly, Propagation: "")
        }
        out += st.tmpfsMounts.map { Entry(Type: "tmpfs", Source: "", Destination: $0.destination, Mode: "", RW: !$0.readOnly, Propagation: "") }
        return out.sorted { $0.Destination < $1.Destination }
    }

    /// `HostConfig.Binds`: the `-v` values that name a host path or a volume.
    static func binds(_ st: ContainerSettings) -> [String]? {
        let b = st.binds.filter { ($0.origin ?? .volumeFlag) == .volumeFlag }.map(\.spec)
            + st.volumes.filter { $0.origin == .volumeFlag && !$0.anonymous }.map(\.spec)
        return b.isEmpty ? nil : b
    }

    /// `HostConfig.Mounts`: the `--mount` values.
    static func hostMounts(_ st: ContainerSettings) -> [HostMount]? {
        var out = st.binds.filter { $0.origin == .mountFlag }.map {
            HostMount(Type: "bind", Source: $0.source, Target: $0.destination, ReadOnly: $0.readOnly ? true : nil)
        }
        out += st.volumes.filter { $0.origin == .mountFlag }.map { v in
            let driver = v.options.map { HostMount.DriverConfig(Options: $0) }
            let opts = v.noCopy || v.labels != nil || driver != nil
                ? HostMount.VolumeOptions(NoCopy: v.noCopy ? true : nil, Labels: v.labels, DriverConfig: driver) : nil
            return HostMount(Type: "volume", Source: v.anonymous ? nil : v.name, Target: v.destination,
                             ReadOnly: v.readOnly ? true : nil, VolumeOptions: opts)
        }
        out += st.tmpfsMounts.map { t in
            HostMount(Type: "tmpfs", Target: t.destination, ReadOnly: t.readOnly ? true : nil,
                      TmpfsOptions: t.sizeBytes == nil && t.mode == nil ? nil : .init(SizeBytes: t.sizeBytes, Mode: t.mode))
        }
        return out.isEmpty ? nil : out
    }

    /// `Config.Volumes`: the image's `VOLUME`s and `-v /path`.
    static func configVolumes(_ st: ContainerSettings) -> [String: [String: String]]? {
        let v = st.volumes.filter { $0.origin == .image || ($0.origin == .volumeFlag && $0.anonymous) }
        return v.isEmpty ? nil : Dictionary(v.map { ($0.destination, [:]) }, uniquingKeysWith: { a, _ in a })
    }

    /// `ps`'s `Mounts`: volume names, else sources; shortened to 15 characters unless `--no-trunc`.
    static func psMounts(_ st: ContainerSettings, truncate: Bool) -> String {
        let named = st.binds.map { ($0.destination, $0.source) } + st.volumes.map { ($0.destination, $0.name) }
            + st.tmpfsMounts.map { ($0.destination, "") }
        return named.sorted { $0.0 < $1.0 }.map { _, name in
            truncate && name.count > 15 ? String(name.prefix(14)) + "…" : name
        }.joined(separator: ",")
    }
}
