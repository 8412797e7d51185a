import ArgumentParser
import BoxCore
import BoxRuntime

/// The isolation flags of `run` and `create`: namespaces shared with the host, process limits, kernel
/// parameters and devices.
struct IsolationFlags: ParsableArguments {
    @Option(name: .customLong("ipc"), help: "IPC mode to use: private, shareable, none or host")
    var ipc: String?
    @Option(name: .customLong("pid"), help: "PID namespace to use: host, or empty for the container's own")
    var pid: String?
    @Option(name: .customLong("uts"), help: "UTS namespace to use: host, or empty for the container's own")
    var uts: String?
    @Option(name: .customLong("cgroupns"), help: "Cgroup namespace to use (host|private) (default: host on cgroup v1, private on v2)")
    var cgroupns: String?
    @Option(name: .customLong("ulimit"), help: "Ulimit options (NAME=SOFT[:HARD])")
    var ulimit: [String] = []
    @Option(name: .customLong("sysctl"), help: "Sysctl options (namespaced ones only: net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)")
    var sysctl: [String] = []
    @Option(name: .customLong("device"), help: "Add a host device to the container (HOST[:CONTAINER][:rwm])")
    var device: [String] = []
    @Option(name: .customLong("shm-size"), help: "Size of /dev/shm (default 64m)")
    var shmSize: String?
    @Option(name: .customLong("oom-score-adj"), parsing: .unconditional, help: "Tune host's OOM preferences (-1000 to 1000)")
    var oomScoreAdj: Int?

    /// Checks the values and puts them into `o`.
    func apply(to o: inout RunOptions) throws(BoxError) {
        var i = IsolationOptions()
        if let ipc {
            switch ipc {
            case "", "private", "shareable": i.ipcMode = ipc.isEmpty ? "private" : ipc
            case "host", "none": i.ipcMode = ipc
            default:
                if ipc.hasPrefix("container:") { throw BoxError(.invalidArgument, "--ipc \(ipc): sharing another container's IPC namespace is not supported") }
                throw BoxError(.invalidArgument, "invalid IPC mode: \(ipc)")
            }
        }
        if let pid {
            guard pid.isEmpty || pid == "host" else {
                if pid.hasPrefix("container:") { throw BoxError(.invalidArgument, "--pid \(pid): sharing another container's PID namespace is not supported") }
                throw BoxError(.invalidArgument, "invalid PID mode: \(pid)")
            }
            i.pidMode = pid
        }
        if let uts {
            guard uts.isEmpty || uts == "host" else { throw BoxError(.invalidArgument, "invalid UTS mode: \(uts)") }
            if uts == "host" && o.hostname != nil { throw BoxError(.invalidArgument, "conflicting options: hostname and the UTS mode") }
            i.utsMode = uts
        }
        if let cgroupns {
            guard cgroupns == "host" || cgroupns == "private" else {
                throw BoxError(.invalidArgument, "invalid cgroup namespace mode: \(cgroupns): use host or private")
            }
            i.cgroupnsMode = cgroupns
        }
        i.ulimits = try ulimit.map { (u) throws(BoxError) in try Self.parseUlimit(u) }
        for s in sysctl {
            let (k, v) = try Self.parseSysctl(s)
            if k.hasPrefix("net.") && o.network == "host" {
                throw BoxError(.invalidArgument, "sysctl \"\(k)\" is not allowed in the host network namespace")
            }
            if (k.hasPrefix("kernel.") || k.hasPrefix("fs.mqueue.")) && i.ipcMode == "host" {
                throw BoxError(.invalidArgument, "sysctl \"\(k)\" is not allowed in the host's IPC namespace")
            }
            i.sysctls[k] = v
        }
        i.devices = try device.map { (d) throws(BoxError) in try Self.parseDevice(d) }
        if let shmSize {
            guard let n = ByteSize.parse(shmSize) else { throw BoxError(.invalidArgument, "invalid size: '\(shmSize)'") }
            i.shmSize = n > 0 ? n : nil
        }
        if let oomScoreAdj {
            guard (-1000...1000).contains(oomScoreAdj) else {
                throw BoxError(.invalidArgument, "invalid value \(oomScoreAdj), range for oom score adj is [-1000, 1000]")
            }
            i.oomScoreAdj = oomScoreAdj
        }
        o.isolation = i
    }

    /// The limits `--ulimit` may set, as Docker names them.
    static let ulimitNames: Set<String> = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
                                           "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"]

    /// `NAME=SOFT[:HARD]`, as Docker's go-units parses it (-1 is unlimited).
    static func parseUlimit(_ s: String) throws(BoxError) -> Ulimit {
        let parts = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw BoxError(.invalidArgument, "invalid ulimit argument: \(s)") }
        guard ulimitNames.contains(parts[0]) else { throw BoxError(.invalidArgument, "invalid ulimit type: \(parts[0])") }
        let values = parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard values.count <= 2 else {
            throw BoxError(.invalidArgument, "too many limit value arguments - \(parts[1]), can only have up to two, `soft[:hard]`")
        }
        guard let soft = Int64(values[0]) else { throw BoxError(.invalidArgument, "invalid ulimit soft value \"\(values[0])\" in \(s)") }
        var hard = soft
        if values.count == 2 {
            guard let h = Int64(values[1]) else { throw BoxError(.invalidArgument, "invalid ulimit hard value \"\(values[1])\" in \(s)") }
            hard = h
        }
        // -1 is the largest value, as the kernel reads it
        if UInt64(bitPattern: soft) > UInt64(bitPattern: hard) {
            throw BoxError(.invalidArgument, "ulimit soft limit must be less than or equal to hard limit: \(soft) > \(hard)")
        }
        return Ulimit(name: parts[0], soft: soft, hard: hard)
    }

    /// The sysctls a container may set: those of its own IPC and network namespaces (Docker's list).
    static let sysctlNames: Set<String> = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                                           "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]

    /// `KEY=VALUE`, the key with dots or slashes.
    static func parseSysctl(_ s: String) throws(BoxError) -> (String, String) {
        let parts = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let key = parts[0].split(separator: "/", omittingEmptySubsequences: false).joined(separator: ".")
        guard parts.count == 2, !key.isEmpty, !key.split(separator: ".", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == ".." }),
              sysctlNames.contains(key) || key.hasPrefix("net.") || key.hasPrefix("fs.mqueue.") else {
            throw BoxError(.invalidArgument, "sysctl '\(s)' is not allowed: only namespaced ones (net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)")
        }
        return (key, parts[1])
    }

    /// `HOST[:CONTAINER][:PERMISSIONS]`, as Docker's CLI parses it.
    static func parseDevice(_ s: String) throws(BoxError) -> DeviceMapping {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func isMode(_ m: String) -> Bool { !m.isEmpty && m.count <= 3 && m.allSatisfy { "rwm".contains($0) } && Set(m).count == m.count }
        var host = parts[0], ctr = parts[0], perms = "rwm"
        switch parts.count {
        case 1: break
        case 2:
            if isMode(parts[1]) { perms = parts[1] } else { ctr = parts[1] }
        case 3:
            guard isMode(parts[2]) else { throw BoxError(.invalidArgument, "invalid device mode: \(parts[2])") }
            ctr = parts[1]
            perms = parts[2]
        default:
            throw BoxError(.invalidArgument, "invalid device specification: \(s)")
        }
        if host.isEmpty { host = ctr }
        guard host.hasPrefix("/") else { throw BoxError(.invalidArgument, "invalid device specification: \(s)") }
        guard ctr.hasPrefix("/") else { throw BoxError(.invalidArgument, "\(ctr) is not an absolute path") }
        return DeviceMapping(pathOnHost: host, pathInContainer: ctr, cgroupPermissions: perms)
    }
}
