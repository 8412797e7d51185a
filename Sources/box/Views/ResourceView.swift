import BoxRuntime

/// The resource part of `inspect`'s `HostConfig`: memory, CPU and pids limits, with Docker's zeros for unset
/// values and null for an unset `PidsLimit` and `MemorySwappiness`.
struct ResourceHostConfig: Encodable {
    var Memory: Int64
    var MemorySwap: Int64
    var MemoryReservation: Int64
    var MemorySwappiness: Int64?
    var NanoCpus: Int64
    var CpuShares: Int64
    var CpuQuota: Int64
    var CpuPeriod: Int64
    var CpusetCpus: String
    var CpusetMems: String
    var PidsLimit: Int64?

    init(_ r: ContainerRecord) {
        let o = r.settings.resources ?? ResourceOptions()
        Memory = o.memory ?? 0
        MemorySwap = o.memorySwap ?? 0
        MemoryReservation = o.memoryReservation ?? 0
        MemorySwappiness = o.memorySwappiness
        NanoCpus = o.nanoCPUs ?? 0
        CpuShares = o.cpuShares ?? 0
        CpuQuota = o.cpuQuota ?? 0
        CpuPeriod = o.cpuPeriod ?? 0
        CpusetCpus = o.cpusetCpus ?? ""
        CpusetMems = o.cpusetMems ?? ""
        // Docker reports no limit (unset, or -1) as null
        PidsLimit = o.pidsLimit.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The optional keys are written as null, as Docker writes them.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(Memory, forKey: .Memory)
        try c.encode(MemorySwap, forKey: .MemorySwap)
        try c.encode(MemoryReservation, forKey: .MemoryReservation)
        try c.encode(MemorySwappiness, forKey: .MemorySwappiness)
        try c.encode(NanoCpus, forKey: .NanoCpus)
        try c.encode(CpuShares, forKey: .CpuShares)
        try c.encode(CpuQuota, forKey: .CpuQuota)
        try c.encode(CpuPeriod, forKey: .CpuPeriod)
        try c.encode(CpusetCpus, forKey: .CpusetCpus)
        try c.encode(CpusetMems, forKey: .CpusetMems)
        try c.encode(PidsLimit, forKey: .PidsLimit)
    }

    enum Keys: String, CodingKey {
        case Memory, MemorySwap, MemoryReservation, MemorySwappiness, NanoCpus, CpuShares, CpuQuota, CpuPeriod, CpusetCpus,
             CpusetMems, PidsLimit
    }
}
