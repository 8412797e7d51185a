#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxOCI

/// The resources flags of `run`/`create` (and `box update`), as Docker's `HostConfig` keeps them; nil is unset.
public struct ResourceOptions: Sendable, Codable, Equatable {
    /// `-m`/`--memory`, bytes.
    public var memory: Int64?
    /// `--memory-swap`: memory plus swap in bytes; -1 unlimited. Twice `memory` when only that is given.
    public var memorySwap: Int64?
    /// `--memory-reservation`: the soft limit, bytes.
    public var memoryReservation: Int64?
    /// `--memory-swappiness`, 0 to 100 (cgroup v1 only).
    public var memorySwappiness: Int64?
    /// `--cpus` in billionths of a CPU (Docker's `NanoCpus`): a quota over a 100 ms period.
    public var nanoCPUs: Int64?
    /// `-c`/`--cpu-shares`: relative weight (1024 is the default).
    public var cpuShares: Int64?
    /// `--cpu-quota` and `--cpu-period`, µs.
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    /// `--cpuset-cpus` and `--cpuset-mems`: `0-3,5` lists.
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// `--pids-limit`; -1 unlimited.
    public var pidsLimit: Int64?

    public init() {}

    /// Docker's smallest memory limit and reservation: 6 MiB.
    public static let minimumMemory: Int64 = 6 << 20
    /// The CFS period `--cpus` uses, µs.
    public static let nanoCPUPeriod: Int64 = 100_000

    /// The limits in the runtime spec's shape; devices are the spec builder's (`SpecBuilder.applyResources`).
    public var spec: RuntimeSpec.Resources {
        var r = RuntimeSpec.Resources()
        if memory != nil || memorySwap != nil || memoryReservation != nil || memorySwappiness != nil {
            r.memory = .init(limit: memory, reservation: memoryReservation, swap: memorySwap,
                             swappiness: memorySwappiness.map { UInt64($0) })
        }
        var cpu = RuntimeSpec.CPU(shares: cpuShares.map { UInt64(min(max($0, 2), 262_144)) }, quota: cpuQuota,
                                  period: cpuPeriod.map { UInt64($0) }, cpus: cpusetCpus, mems: cpusetMems)
        if let nano = nanoCPUs, nano > 0 {
            cpu.period = UInt64(Self.nanoCPUPeriod)
            cpu.quota = nano * Self.nanoCPUPeriod / 1_000_000_000
        }
        if cpu != RuntimeSpec.CPU() { r.cpu = cpu }
        if let p = pidsLimit { r.pids = .init(limit: p) }
        return r
    }

    /// What the host offers, for the checks that depend on it.
    public struct Host: Sendable {
        public var onlineCPUs: Int
        /// The host's cpuset: CPUs and memory nodes, `0-3` lists.
        public var cpus: String
        public var mems: String
        public var cgroups: any CgroupBackend

        public init(onlineCPUs: Int, cpus: String, mems: String, cgroups: any CgroupBackend) {
            self.onlineCPUs = onlineCPUs
            self.cpus = cpus
            self.mems = mems
            self.cgroups = cgroups
        }

        /// This machine: its online CPUs and the cgroup backend's view.
        public static func current(_ cgroups: any CgroupBackend) -> Host {
            let set = cgroups.hostCpuset()
            return Host(onlineCPUs: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))), cpus: set.cpus, mems: set.mems, cgroups: cgroups)
        }
    }

    /// Docker's checks of the limits (its daemon's `verifyContainerResources`, texts included), then what this
    /// host lacks. `update` allows `--memory-swap` without `--memory` (the container may have one).
    /// Returns the warnings to print; adjusts what the host cannot do (swap without swap accounting).
    public mutating func validate(on host: Host, update: Bool = false) throws(BoxError) -> [String] {
        func bad(_ m: String) -> BoxError { BoxError(.invalidArgument, m) }
        var warnings: [String] = []
        let mem = memory ?? 0, swap = memorySwap ?? 0, reservation = memoryReservation ?? 0
        if mem != 0 && mem < Self.minimumMemory { throw bad("Minimum memory limit allowed is 6MB") }
        if mem > 0 && swap != -1 && !host.cgroups.swapLimitSupported {
            warnings.append("Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.")
            memorySwap = -1
        }
        if mem > 0 && swap > 0 && swap < mem { throw bad("Minimum memoryswap limit should be larger than memory limit, see usage") }
        if mem == 0 && swap > 0 && !update { throw bad("You should always set the Memory limit when using Memoryswap limit, see usage") }
        if let s = memorySwappiness, s < 0 || s > 100 { throw bad("Invalid value: \(s), valid memory swappiness range is 0-100") }
        if reservation > 0 && reservation < Self.minimumMemory { throw bad("Minimum memory reservation allowed is 6MB") }
        if mem > 0 && reservation > 0 && mem < reservation {
            throw bad("Minimum memory limit can not be less than memory reservation limit, see usage")
        }
        if pidsLimit == 0 { throw bad("invalid PIDs limit 0: use a positive number, or -1 for unlimited") }
        let nano = nanoCPUs ?? 0, period = cpuPeriod ?? 0, quota = cpuQuota ?? 0
        if nano > 0 && period > 0 { throw bad("Conflicting options: Nano CPUs and CPU Period cannot both be set") }
        if nano > 0 && quota > 0 { throw bad("Conflicting options: Nano CPUs and CPU Quota cannot both be set") }
        if nano < 0 || nano > Int64(host.onlineCPUs) * 1_000_000_000 {
            throw bad("Range of CPUs is from 0.01 to \(host.onlineCPUs).00, as there are only \(host.onlineCPUs) CPUs available")
        }
        if period != 0 && (period < 1000 || period > 1_000_000) {
            throw bad("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
        }
        if quota > 0 && quota < 1000 { throw bad("CPU cfs quota can not be less than 1ms (i.e. 1000)") }
        if let s = cpuShares, s < 0 { throw bad("invalid CPU shares \(s): must not be negative") }
        try Self.checkCpuset(cpusetCpus, available: host.cpus, what: "cpus", noun: "CPUs")
        try Self.checkCpuset(cpusetMems, available: host.mems, what: "mems", noun: "memory nodes")
        if let missing = host.cgroups.missingController(for: spec) {
            let flags = ["memory": "--memory", "cpu": "--cpus/--cpu-shares/--cpu-quota/--cpu-period",
                         "cpuset": "--cpuset-cpus/--cpuset-mems", "pids": "--pids-limit"][missing] ?? missing
            throw BoxError(.notFound, "cgroup controller \"\(missing)\" is not available on this host (\(host.cgroups.version)): cannot apply \(flags)")
        }
        return warnings
    }

    /// Docker's rule for `--memory-swap` when only `--memory` is given: twice the memory.
    public mutating func defaultSwap() {
        if let m = memory, m > 0, memorySwap == nil || memorySwap == 0 { memorySwap = m * 2 }
    }

    /// A cpuset list (`0-2,4`) that is well formed and within what the host has: Docker's errors.
    static func checkCpuset(_ value: String?, available: String, what: String, noun: String) throws(BoxError) {
        guard let value, !value.isEmpty else { return }
        guard let wanted = parseList(value) else {
            throw BoxError(.invalidArgument, "Invalid value \(value) for cpuset \(what): invalid format: \(value)")
        }
        guard let have = parseList(available), !available.isEmpty else { return }
        if !wanted.isSubset(of: have) {
            throw BoxError(.invalidArgument, "Requested \(noun) are not available - requested \(value), available: \(available)")
        }
    }

    /// The numbers of a kernel list (`0-3,8`); nil when malformed.
    public static func parseList(_ s: String) -> Set<Int>? {
        var out = Set<Int>()
        for part in s.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let lo = Int(ends[0]), lo >= 0, let hi = Int(ends.last!), hi >= lo,
                  hi - lo < 65536 else { return nil }
            for n in lo...hi { out.insert(n) }
        }
        return out
    }
}

/// Parsing the values of the resource flags, with Docker's CLI errors.
public enum ResourceValue {
    /// A size (`64m`, `1g`, `512k`, bytes): `invalid argument "x" for "-m, --memory" flag: invalid size: 'x'`.
    public static func bytes(_ s: String, flag: String) throws(BoxError) -> Int64 {
        guard let n = ByteSize.parse(s) else { throw BoxError(.invalidArgument, "invalid argument \"\(s)\" for \"\(flag)\" flag: invalid size: '\(s)'") }
        return n
    }

    /// `--memory-swap`: a size, or -1 for unlimited.
    public static func swap(_ s: String, flag: String) throws(BoxError) -> Int64 {
        s == "-1" ? -1 : try bytes(s, flag: flag)
    }

    /// `--cpus`: a decimal number of CPUs as billionths (`1.5` → 1500000000), Docker's `NanoCPUs`.
    public static func nanoCPUs(_ s: String) throws(BoxError) -> Int64 {
        let err = BoxError(.invalidArgument, "invalid argument \"\(s)\" for \"--cpus\" flag: failed to parse \(s) as a rational number")
        var t = Substring(s)
        let negative = t.hasPrefix("-")
        if negative || t.hasPrefix("+") { t = t.dropFirst() }
        let parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0], frac = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && frac.isEmpty), whole.allSatisfy(\.isASCIIDigit), frac.allSatisfy(\.isASCIIDigit),
              whole.count <= 9 else { throw err }
        let digits = frac
        guard digits.count <= 9 || digits.dropFirst(9).allSatisfy({ $0 == "0" }) else {
            throw BoxError(.invalidArgument, "invalid argument \"\(s)\" for \"--cpus\" flag: value is too precise")
        }
        let fracNano = Int64(String(digits.prefix(9)).padding(toLength: 9)) ?? 0
        let n = (Int64(whole) ?? 0) * 1_000_000_000 + fracNano
        return negative ? -n : n
    }

    /// An integer flag value, with ArgumentParser's kind of error.
    public static func integer(_ s: String, flag: String) throws(BoxError) -> Int64 {
        guard let n = Int64(s) else {
            throw BoxError(.invalidArgument, "invalid argument \"\(s)\" for \"\(flag)\" flag: strconv.ParseInt: parsing \"\(s)\": invalid syntax")
        }
        return n
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    /// The string with `0`s added on the right up to `length` characters.
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: "0", count: length - count)
    }
}
