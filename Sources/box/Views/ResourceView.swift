import BoxRuntime

/// The resource part of `inspect`'s `HostConfig`: memory, CPU and pids limits.
struct ResourceHostConfig: Encodable {
    init(_ r: ContainerRecord) {}
}
