#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxRuntime

/// `box logs`: a container's output from its log file; stdout entries on stdout, stderr entries on stderr.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container")

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Follow log output")
    var follow = false
    @Option(name: [.customShort("n"), .customLong("tail")], parsing: .unconditional, help: "Number of lines to show from the end of the logs")
    var tail = "all"
    @Option(name: .customLong("since"), parsing: .unconditional, help: "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)")
    var since: String?
    @Option(name: .customLong("until"), parsing: .unconditional, help: "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)")
    var until: String?
    @Flag(name: [.customShort("t"), .customLong("timestamps")], help: "Show timestamps")
    var timestamps = false
    @Flag(name: .customLong("details"), help: "Show extra details provided to logs")
    var details = false
    @Argument(help: "CONTAINER")
    var containers: [String] = []

    func run() throws {
        guard containers.count == 1 else { throw BoxError(.invalidArgument, "\"box logs\" requires exactly 1 argument") }
        let query = try LogQuery(tail: tailCount(), since: time(since, "since"), until: time(until, "until"))
        let store = try Context().containers()
        let record = try store.resolve(containers[0])
        guard let format = LogFormat(driver: record.settings.logDriver) else {
            throw BoxError(.invalidArgument, "configured logging driver does not support reading")
        }
        let reader = LogReader(path: store.logPath(record.id), format: format)
        var out = LogPrinter(timestamps: timestamps, details: details)
        let position = try reader.read(query) { out.print($0) }
        out.flush()
        guard follow else { return }
        out.immediate = true
        // the record is read without a lock, a few times a second; a removed container has ended too
        try reader.follow(from: position, until: query.until, interval: 0.15, running: {
            guard let r = try? store.resolve(record.id) else { return false }
            return [.running, .paused, .restarting].contains(r.state.status)
        }) { out.print($0) }
    }

    /// `--tail`: a number, or `all` (and any negative number) for every line.
    func tailCount() throws(BoxError) -> Int? {
        if tail == "all" { return nil }
        guard let n = Int(tail) else {
            throw BoxError(.invalidArgument, "invalid value for \"tail\": strconv.Atoi: parsing \"\(tail)\": invalid syntax")
        }
        return n < 0 ? nil : n
    }

    /// `--since` or `--until` as Docker reads them.
    func time(_ value: String?, _ flag: String) throws(BoxError) -> Timestamp? {
        guard let value, !value.isEmpty else { return nil }
        guard let t = Time.parseSince(value) else {
            throw BoxError(.invalidArgument, "invalid value for \"\(flag)\": failed to parse value as time or duration: \"\(value)\"")
        }
        return t
    }
}

/// Writes entries to stdout or stderr by their stream, with the `-t` and `--details` prefixes at the start of
/// each line; buffered, flushed when the stream changes (so a terminal shows them in order) or when immediate.
struct LogPrinter {
    let timestamps: Bool
    let details: Bool
    /// Flush after every entry (while following).
    var immediate = false
    private var buffer: [UInt8] = []
    private var bufferStream: Int32 = 1
    /// Streams whose last entry was partial: the next one continues its line, without a prefix.
    private var midLine: Set<Int32> = []

    init(timestamps: Bool, details: Bool) {
        self.timestamps = timestamps
        self.details = details
    }

    mutating func print(_ e: LogEntry) {
        if e.stream != bufferStream {
            flush()
            bufferStream = e.stream
        }
        if !midLine.contains(e.stream) {
            // Docker's order: the time, then the details, then the text
            if timestamps { buffer += Array((e.timestamp.rfc3339NanoFixed + " ").utf8) }
            if details { buffer += Array((Self.detailText(e.attrs) + " ").utf8) }
        }
        buffer += e.bytes
        if e.partial {
            midLine.insert(e.stream)
        } else {
            buffer.append(10)
            midLine.remove(e.stream)
        }
        if immediate || buffer.count >= 64 * 1024 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        let fd: Int32 = bufferStream == 2 ? 2 : 1
        buffer.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let n = write(fd, p.baseAddress! + off, p.count - off)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// `--details`: the attributes as `key=value` pairs sorted by key, joined with commas, query-escaped.
    static func detailText(_ attrs: [String: String]) -> String {
        attrs.keys.sorted().map { queryEscape($0) + "=" + queryEscape(attrs[$0]!) }.joined(separator: ",")
    }

    /// Go's url.QueryEscape.
    static func queryEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 15)])
            }
        }
        return out
    }
}
