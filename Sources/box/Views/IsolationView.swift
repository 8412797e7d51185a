import BoxRuntime

/// The isolation part of `inspect`'s `HostConfig`: namespaces shared with the host, ulimits, sysctls, devices.
struct IsolationHostConfig: Encodable {
    var CgroupnsMode = "private"
    var IpcMode = "private"
    var PidMode = ""

    init(_ r: ContainerRecord) {}
}
