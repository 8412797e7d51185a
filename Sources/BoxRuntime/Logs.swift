import BoxCore

/// The on-disk format of a container's log (`--log-driver`).
public enum LogFormat: Sendable, Equatable {
    /// Docker's json-file: `{"log":"text\n","stream":"stdout","time":"…"}` a line.
    case json
    /// podman's k8s-file (CRI): `TIME stdout F text` a line, `P` for a partial line.
    case k8s

    /// The format a log driver writes; nil for `none` (and any driver box cannot read).
    public init?(driver: String) {
        switch driver {
        case "json-file", "": self = .json
        case "k8s-file": self = .k8s
        default: return nil
        }
    }

    /// The C writer's constant (`BOX_LOG_JSON`, `BOX_LOG_K8S`).
    var cValue: Int32 { self == .json ? 0 : 1 }
}

/// One entry of a log file: a complete line, or the part of one that was written before its newline.
public struct LogEntry: Sendable, Equatable {
    /// The time as the file has it (RFC 3339, nanoseconds).
    public var time: String
    /// The time, parsed.
    public var timestamp: Timestamp
    /// 1 for stdout, 2 for stderr.
    public var stream: Int32
    /// The text, without the newline that ends a complete line.
    public var bytes: [UInt8]
    /// No newline ended this text: the next entry of the same stream continues the line.
    public var partial: Bool
    /// Extra attributes (Docker's `attrs`: labels and env chosen with `--log-opt`), shown by `--details`.
    public var attrs: [String: String] = [:]

    public init(time: String, timestamp: Timestamp, stream: Int32, bytes: [UInt8], partial: Bool) {
        self.time = time
        self.timestamp = timestamp
        self.stream = stream
        self.bytes = bytes
        self.partial = partial
    }

    /// Seconds since the epoch.
    public var seconds: Int64 { timestamp.seconds }
    /// Nanoseconds within the second.
    public var nanos: Int32 { timestamp.nanos }

    /// The text as the container wrote it: with its newline unless partial.
    public var line: [UInt8] { partial ? bytes : bytes + [10] }

    /// Parses one line of a log file (without its newline); nil for a line that is not an entry.
    public static func parse(_ line: ArraySlice<UInt8>, format: LogFormat) -> LogEntry? {
        format == .json ? parseJSON(line) : parseK8s(line)
    }

    /// `TIME STREAM TAG TEXT`: TAG is `F` (full) or `P` (partial), possibly followed by `:`-separated extras.
    static func parseK8s(_ line: ArraySlice<UInt8>) -> LogEntry? {
        var fields: [ArraySlice<UInt8>] = []
        var rest = line
        while fields.count < 3, let sp = rest.firstIndex(of: 32) {
            fields.append(rest[rest.startIndex..<sp])
            rest = rest[(sp + 1)...]
        }
        if fields.count == 2 && !rest.isEmpty {
            // `TIME stdout F` with no space after the tag: an empty line
            fields.append(rest)
            rest = rest[rest.endIndex...]
        }
        guard fields.count == 3 else { return nil }
        let time = String(decoding: fields[0], as: UTF8.self)
        guard let ts = Time.parseNanos(time), let stream = streamNumber(fields[1]) else { return nil }
        let partial = fields[2].split(separator: 58).first.map { Array($0) == [80] } ?? false
        return LogEntry(time: time, timestamp: ts, stream: stream, bytes: Array(rest), partial: partial)
    }

    /// `{"log":"…","stream":"…","time":"…"}`, with `attrs` kept for `--details`.
    static func parseJSON(_ line: ArraySlice<UInt8>) -> LogEntry? {
        var p = JSONLineParser(line)
        guard let object = p.object(), let time = object.strings["time"].map({ String(decoding: $0, as: UTF8.self) }),
              let ts = Time.parseNanos(time) else { return nil }
        let stream = object.strings["stream"].flatMap { streamNumber($0[...]) } ?? 1
        var text = object.strings["log"] ?? []
        let partial = text.last != 10
        if !partial { text.removeLast() }
        var entry = LogEntry(time: time, timestamp: ts, stream: stream, bytes: text, partial: partial)
        entry.attrs = object.attrs
        return entry
    }

    static func streamNumber(_ s: ArraySlice<UInt8>) -> Int32? {
        switch String(decoding: s, as: UTF8.self) {
        case "stdout": 1
        case "stderr": 2
        default: nil
        }
    }
}
