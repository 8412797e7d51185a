import BoxRuntime

/// The isolation part of `inspect`'s `HostConfig`: namespaces shared with the host, ulimits, sysctls, devices.
struct IsolationHostConfig: Encodable {
    struct UlimitInfo: Encodable {
        var Name: String
        var Hard: Int64
        var Soft: Int64
    }

    struct DeviceInfo: Encodable {
        var PathOnHost: String
        var PathInContainer: String
        var CgroupPermissions: String
    }

    var CgroupnsMode: String
    var IpcMode: String
    var PidMode: String
    var UTSMode: String
    var ShmSize: Int64
    var OomScoreAdj: Int
    var Sysctls: [String: String]?
    var Ulimits: [UlimitInfo]?
    var Devices: [DeviceInfo]

    init(_ r: ContainerRecord) {
        let i = r.settings.isolation ?? IsolationOptions()
        CgroupnsMode = i.cgroupnsMode ?? (r.spec.linux.namespaces.contains { $0.type == "cgroup" } ? "private" : "host")
        IpcMode = i.ipcMode
        PidMode = i.pidMode
        UTSMode = i.utsMode
        ShmSize = i.shmSize ?? IsolationOptions.defaultShmSize
        OomScoreAdj = i.oomScoreAdj ?? 0
        Sysctls = i.sysctls.isEmpty ? nil : i.sysctls
        Ulimits = i.ulimits.isEmpty ? nil : i.ulimits.map { UlimitInfo(Name: $0.name, Hard: $0.hard, Soft: $0.soft) }
        Devices = i.devices.map { DeviceInfo(PathOnHost: $0.pathOnHost, PathInContainer: $0.pathInContainer, CgroupPermissions: $0.cgroupPermissions) }
    }
}
