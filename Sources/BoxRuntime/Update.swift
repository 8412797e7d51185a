import BoxCgroups
import BoxCore
import BoxOCI

/// What `box update` changes: the flags given (nil: unchanged), and the restart policy.
public struct ContainerUpdate: Sendable {
    public var resources: ResourceOptions
    public var restartPolicy: RestartPolicy?

    public init(resources: ResourceOptions, restartPolicy: RestartPolicy? = nil) {
        self.resources = resources
        self.restartPolicy = restartPolicy
    }
}

extension Containers {
    /// `box update`: merges the changes into the container's limits as Docker's daemon does, checks the
    /// result, writes it to the cgroup of a running (or paused) container, then records it. A value that is
    /// refused changes nothing. Returns Docker's warnings.
    public static func update(_ r: ContainerRecord, _ u: ContainerUpdate, host: ResourceOptions.Host,
                              store: ContainerStore, cgroups: any CgroupBackend) throws(BoxError) -> [String] {
        var warnings: [String] = []
        _ = try store.update(r.id) { (c) throws(BoxError) in
            var merged = try merge(c.settings.resources ?? ResourceOptions(), u.resources, id: c.id)
            warnings = try merged.validate(on: host, update: true)
            if let policy = u.restartPolicy {
                if c.settings.autoRemove && policy.name != "no" {
                    throw BoxError(.conflict, "Cannot update container \(c.id): Restart policy cannot be updated because AutoRemove is enabled for the container")
                }
                c.settings.restartPolicy = policy
            }
            var limits = merged.spec
            limits.devices = nil  // the device rules are the container's own, set at start
            if c.state.status.isActive && c.state.pid > 0 {
                do throws(BoxError) {
                    try cgroups.apply(limits, to: c.settings.cgroupPath)
                } catch {
                    throw BoxError(error.code, "Cannot update container \(c.id): \(error.message)", errno: error.errno)
                }
            }
            limits.devices = c.spec.linux.resources?.devices
            c.spec.linux.resources = limits
            c.settings.resources = merged
        }
        return warnings
    }

    /// Docker's merge of an update into the current limits (its `UpdateContainer`): the CPU bandwidth set one
    /// way (`--cpus`, or `--cpu-quota`/`--cpu-period`) cannot be changed the other way, and a memory limit
    /// above the current memory+swap needs a new `--memory-swap`.
    static func merge(_ current: ResourceOptions, _ new: ResourceOptions, id: String) throws(BoxError) -> ResourceOptions {
        func conflict(_ m: String) -> BoxError { BoxError(.conflict, "Cannot update container \(id): \(m)") }
        let nano = new.nanoCPUs ?? 0, curNano = current.nanoCPUs ?? 0
        if nano > 0 && (current.cpuPeriod ?? 0) > 0 { throw conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set") }
        if nano > 0 && (current.cpuQuota ?? 0) > 0 { throw conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set") }
        if (new.cpuPeriod ?? 0) > 0 && curNano > 0 { throw conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set") }
        if (new.cpuQuota ?? 0) > 0 && curNano > 0 { throw conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set") }
        var m = current
        if let v = new.cpuShares { m.cpuShares = v }
        if let v = new.nanoCPUs { m.nanoCPUs = v }
        if let v = new.cpuPeriod { m.cpuPeriod = v }
        if let v = new.cpuQuota { m.cpuQuota = v }
        if let v = new.cpusetCpus { m.cpusetCpus = v }
        if let v = new.cpusetMems { m.cpusetMems = v }
        if let v = new.memory {
            // Docker compares with the recorded memory+swap (0 without one); unlimited swap (-1) is no bound
            let swap = current.memorySwap ?? 0
            if swap != -1 && v > swap && new.memorySwap == nil {
                throw conflict("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
            }
            m.memory = v
        }
        if let v = new.memorySwap { m.memorySwap = v }
        if let v = new.memoryReservation { m.memoryReservation = v }
        if let v = new.memorySwappiness { m.memorySwappiness = v }
        if let v = new.pidsLimit { m.pidsLimit = v }
        return m
    }
}
