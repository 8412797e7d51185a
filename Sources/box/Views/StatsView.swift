import BoxCore
import BoxFormat
import BoxRuntime

/// One row of `box stats`: Docker's fields, as strings formatted as Docker's CLI formats them
/// (`{{json .}}` gives these keys in this order).
struct StatsRow: Encodable {
    var BlockIO: String
    var CPUPerc: String
    /// The container as the user named it, or its full ID when none was named.
    var Container: String
    var ID: String
    var MemPerc: String
    var MemUsage: String
    var Name: String
    var NetIO: String
    var PIDs: String

    init(_ u: ContainerUsage, container: String, truncate: Bool) {
        BlockIO = Self.decimal(u.blockRead) + " / " + Self.decimal(u.blockWrite)
        CPUPerc = Self.percent(u.cpuPercent)
        Container = container
        ID = truncate ? String(u.id.prefix(12)) : u.id
        MemPerc = Self.percent(u.memoryPercent)
        MemUsage = Self.binary(u.memoryUsage) + " / " + Self.binary(u.memoryLimit)
        Name = u.name.isEmpty ? "--" : u.name
        NetIO = Self.decimal(u.netRx) + " / " + Self.decimal(u.netTx)
        PIDs = "\(u.pids)"
    }

    static let table = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
    static let headers = ["ID": "CONTAINER ID", "Container": "CONTAINER", "Name": "NAME", "CPUPerc": "CPU %",
                          "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O",
                          "PIDs": "PIDS"]

    /// `%.2f%%`.
    static func percent(_ v: Double) -> String {
        let hundredths = Int64((v * 100).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)%"
    }

    /// go-units' `BytesSize`: binary units, 4 significant digits (`1.5MiB`, `7.777GiB`).
    static func binary(_ bytes: UInt64) -> String {
        scaled(Double(bytes), base: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"], digits: 4)
    }

    /// go-units' `HumanSizeWithPrecision(_, 3)`: decimal units, 3 significant digits (`1.2kB`, `0B`).
    static func decimal(_ bytes: UInt64) -> String {
        scaled(Double(bytes), base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB", "EB"], digits: 3)
    }

    private static func scaled(_ v: Double, base: Double, units: [String], digits: Int) -> String {
        var v = v, i = 0
        while v >= base && i < units.count - 1 {
            v /= base
            i += 1
        }
        return Humanize.significant(v, digits) + units[i]
    }
}

/// `box stats --format`: a table, JSON lines or a template through the common formatter, or Prometheus'
/// text exposition format.
enum StatsFormat {
    case formatter(Formatter)
    case prometheus

    init(_ format: String?) throws(BoxError) {
        if format == "prometheus" {
            self = .prometheus
            return
        }
        let f = Formatter(format: format, defaultTable: StatsRow.table, headers: StatsRow.headers)
        do throws(TemplateError) { try f.validate() } catch { throw BoxError(.invalidArgument, error.description) }
        self = .formatter(f)
    }

    /// One block of output for the containers' usage.
    func render(_ usage: [ContainerUsage], containers: [String], truncate: Bool) throws(BoxError) -> String {
        switch self {
        case .prometheus:
            return Prometheus.render(usage)
        case .formatter(let f):
            let rows = zip(usage, containers).map { StatsRow($0, container: $1, truncate: truncate) }
            do {
                return try f.render(encoding: rows)
            } catch let e as TemplateError {
                throw BoxError(.invalidArgument, e.description)
            } catch {
                throw BoxError(.invalidArgument, "format: \(error)")
            }
        }
    }
}

/// The Prometheus text exposition format (version 0.0.4) of the containers' usage: one `# HELP` and `# TYPE`
/// per metric, then a sample per container labelled with its full `id` and `name`.
enum Prometheus {
    static let metrics: [(name: String, type: String, help: String, value: @Sendable (ContainerUsage) -> String)] = [
        ("box_container_running", "gauge", "Whether the container is running (1) or not (0).", { $0.running ? "1" : "0" }),
        ("box_container_cpu_usage_seconds_total", "counter", "CPU time consumed by the container, in seconds.", { number($0.cpuSeconds) }),
        ("box_container_cpu_percent", "gauge", "CPU use over the last interval; 100 is one CPU.", { number($0.cpuPercent) }),
        ("box_container_memory_usage_bytes", "gauge", "Memory in use, without the inactive page cache.", { "\($0.memoryUsage)" }),
        ("box_container_memory_limit_bytes", "gauge", "Memory limit (the host's memory when none is set).", { "\($0.memoryLimit)" }),
        ("box_container_pids", "gauge", "Processes and threads in the container.", { "\($0.pids)" }),
        ("box_container_network_receive_bytes_total", "counter", "Bytes received on the container's interfaces.", { "\($0.netRx)" }),
        ("box_container_network_transmit_bytes_total", "counter", "Bytes sent on the container's interfaces.", { "\($0.netTx)" }),
        ("box_container_block_read_bytes_total", "counter", "Bytes read from block devices.", { "\($0.blockRead)" }),
        ("box_container_block_write_bytes_total", "counter", "Bytes written to block devices.", { "\($0.blockWrite)" }),
    ]

    static func render(_ usage: [ContainerUsage]) -> String {
        var out = ""
        for m in metrics {
            out += "# HELP \(m.name) \(m.help)\n# TYPE \(m.name) \(m.type)\n"
            for u in usage { out += "\(m.name){id=\"\(escape(u.id))\",name=\"\(escape(u.name))\"} \(m.value(u))\n" }
        }
        return out
    }

    /// A non-negative float as Prometheus reads it: integers without a fraction, else up to 6 decimals.
    static func number(_ v: Double) -> String {
        let micro = Int64((max(v, 0) * 1e6).rounded())
        var frac = String(micro % 1_000_000)
        frac = String(repeating: "0", count: 6 - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return "\(micro / 1_000_000)" + (frac.isEmpty ? "" : "." + frac)
    }

    /// A label value: backslash, double quote and newline escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
