import ArgumentParser
import BoxCgroups
import BoxCore
import BoxRuntime

/// The resources flags of `run`, `create` and `update`: Docker's names, values and errors.
struct ResourceFlags: ParsableArguments {
    @Option(name: [.customShort("m"), .customLong("memory")], help: "Memory limit")
    var memory: String?
    @Option(name: .customLong("memory-swap"), parsing: .unconditional,
            help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit")
    var memoryReservation: String?
    @Option(name: .customLong("memory-swappiness"), parsing: .unconditional,
            help: "Tune container memory swappiness (0 to 100) (default -1)")
    var memorySwappiness: String?
    @Option(name: .customLong("cpus"), parsing: .unconditional, help: "Number of CPUs")
    var cpus: String?
    @Option(name: [.customShort("c"), .customLong("cpu-shares")], parsing: .unconditional, help: "CPU shares (relative weight)")
    var cpuShares: String?
    @Option(name: .customLong("cpu-period"), parsing: .unconditional, help: "Limit CPU CFS (Completely Fair Scheduler) period")
    var cpuPeriod: String?
    @Option(name: .customLong("cpu-quota"), parsing: .unconditional, help: "Limit CPU CFS (Completely Fair Scheduler) quota")
    var cpuQuota: String?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs in which to allow execution (0-3, 0,1)")
    var cpusetCpus: String?
    @Option(name: .customLong("cpuset-mems"), help: "MEMs in which to allow execution (0-3, 0,1)")
    var cpusetMems: String?
    @Option(name: .customLong("pids-limit"), parsing: .unconditional, help: "Tune container pids limit (set -1 for unlimited)")
    var pidsLimit: String?

    /// The values as given, parsed; nothing checked against the host yet.
    func values() throws(BoxError) -> ResourceOptions {
        var r = ResourceOptions()
        r.memory = try memory.map { (s) throws(BoxError) in try ResourceValue.bytes(s, flag: "-m, --memory") }
        r.memorySwap = try memorySwap.map { (s) throws(BoxError) in try ResourceValue.swap(s, flag: "--memory-swap") }
        r.memoryReservation = try memoryReservation.map { (s) throws(BoxError) in try ResourceValue.bytes(s, flag: "--memory-reservation") }
        // -1 is Docker's default: unset
        r.memorySwappiness = try memorySwappiness.map { (s) throws(BoxError) in try ResourceValue.integer(s, flag: "--memory-swappiness") }
        if r.memorySwappiness == -1 { r.memorySwappiness = nil }
        r.nanoCPUs = try cpus.map { (s) throws(BoxError) in try ResourceValue.nanoCPUs(s) }
        if r.nanoCPUs == 0 { r.nanoCPUs = nil }
        r.cpuShares = try cpuShares.map { (s) throws(BoxError) in try ResourceValue.integer(s, flag: "-c, --cpu-shares") }
        r.cpuPeriod = try cpuPeriod.map { (s) throws(BoxError) in try ResourceValue.integer(s, flag: "--cpu-period") }
        r.cpuQuota = try cpuQuota.map { (s) throws(BoxError) in try ResourceValue.integer(s, flag: "--cpu-quota") }
        r.cpusetCpus = cpusetCpus
        r.cpusetMems = cpusetMems
        r.pidsLimit = try pidsLimit.map { (s) throws(BoxError) in try ResourceValue.integer(s, flag: "--pids-limit") }
        // Docker's zeros are "unset"
        for k in [\ResourceOptions.memory, \.memoryReservation, \.cpuShares, \.cpuPeriod, \.cpuQuota] where r[keyPath: k] == 0 {
            r[keyPath: k] = nil
        }
        if r.memorySwap == 0 { r.memorySwap = nil }
        return r
    }

    /// Checks the values against Docker's rules and this host, prints Docker's warnings, and puts them into `o`.
    func apply(to o: inout RunOptions) throws(BoxError) {
        var r = try values()
        for w in try r.validate(on: .current(Cgroups.detect())) { Output.write(2, "WARNING: \(w)\n") }
        r.defaultSwap()
        o.resources = r
    }

    /// Whether any flag was given (`update` needs one).
    var isEmpty: Bool {
        [memory, memorySwap, memoryReservation, memorySwappiness, cpus, cpuShares, cpuPeriod, cpuQuota, cpusetCpus, cpusetMems,
         pidsLimit].allSatisfy { $0 == nil }
    }
}
