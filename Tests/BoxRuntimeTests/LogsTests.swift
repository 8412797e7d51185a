#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOS
import BoxRuntime
import BoxTestSupport
import CBox
import Testing

/// The C log writer (both formats, escaping, rotation) read back by the Swift reader (tail, since/until, follow).
@Suite struct LogsTests {
    /// 2026-11-23T10:00:00Z.
    static let t0 = Timestamp(seconds: 1_795_428_000)

    static func at(_ seconds: Int64, _ nanos: Int32 = 0) -> Timestamp { Timestamp(seconds: t0.seconds + seconds, nanos: nanos) }

    func withDir(_ body: (String) throws -> Void) rethrows {
        let dir = TestSupport.tempDir("box-logs")
        defer { TestSupport.removeTree(dir) }
        try body(dir)
    }

    func text(_ path: String) throws -> String { String(decoding: try Files.read(path), as: UTF8.self) }

    func readAll(_ path: String, _ format: LogFormat, _ query: LogQuery = LogQuery()) throws -> [LogEntry] {
        var out: [LogEntry] = []
        try LogReader(path: path, format: format).read(query) { out.append($0) }
        return out
    }

    /// The lines as a reader of the log sees them: entries joined per stream, `1:` or `2:` before each.
    func lines(_ entries: [LogEntry]) -> [String] {
        var out: [String] = []
        var open: [Int32: Int] = [:]
        for e in entries {
            let s = String(decoding: e.bytes, as: UTF8.self)
            if let i = open[e.stream] { out[i] += s } else { out.append("\(e.stream):" + s) }
            open[e.stream] = e.partial ? (open[e.stream] ?? out.count - 1) : nil
        }
        return out
    }

    @Test func jsonFileIsDockersFormat() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: .json)
            try w.write(stream: 1, Array("hello\nwor".utf8), time: Self.at(0, 123_456_789))
            try w.write(stream: 2, Array("ld\n\n".utf8), time: Self.at(1, 120_000_000))
            try w.write(stream: 1, [], time: Self.at(2))
            try w.write(stream: 1, Array("x\n".utf8), time: Self.at(3))
            #expect(try text(path) == """
                {"log":"hello\\n","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"}
                {"log":"wor","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"}
                {"log":"ld\\n","stream":"stderr","time":"2026-11-23T10:00:01.12Z"}
                {"log":"\\n","stream":"stderr","time":"2026-11-23T10:00:01.12Z"}
                {"log":"x\\n","stream":"stdout","time":"2026-11-23T10:00:03Z"}

                """)
            var st = stat()
            #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
            let entries = try readAll(path, .json)
            #expect(entries.map(\.partial) == [false, true, false, false, false])
            #expect(entries.map(\.stream) == [1, 1, 2, 2, 1])
            #expect(entries[0].timestamp == Self.at(0, 123_456_789))
            #expect(entries[0].time == "2026-11-23T10:00:00.123456789Z")
            #expect(entries[2].nanos == 120_000_000 && entries[2].seconds == Self.t0.seconds + 1)
            // the partial "wor" goes on in the next stdout entry, not in stderr's
            #expect(lines(entries) == ["1:hello", "1:worx", "2:ld", "2:"])
        }
    }

    @Test func k8sFileIsPodmansFormat() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: .k8s)
            try w.write(stream: 1, Array("one\ntw".utf8), time: Self.at(0, 5))
            try w.write(stream: 1, Array("o\n".utf8), time: Self.at(1))
            try w.write(stream: 2, Array("e r r\n\n".utf8), time: Self.at(2))
            #expect(try text(path) == """
                2026-11-23T10:00:00.000000005+00:00 stdout F one
                2026-11-23T10:00:00.000000005+00:00 stdout P tw
                2026-11-23T10:00:01.000000000+00:00 stdout F o
                2026-11-23T10:00:02.000000000+00:00 stderr F e r r
                2026-11-23T10:00:02.000000000+00:00 stderr F 

                """)
            let entries = try readAll(path, .k8s)
            #expect(entries.map(\.partial) == [false, true, false, false, false])
            #expect(lines(entries) == ["1:one", "1:two", "2:e r r", "2:"])
            #expect(entries[0].timestamp == Self.at(0, 5))
        }
    }

    /// Go's encoding/json as Docker uses it: HTML characters, control bytes, invalid UTF-8, U+2028.
    @Test func jsonEscaping() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let input: [UInt8] = Array("a\"b\\c\t\u{1}<>&".utf8) + [0xFF, 0xC0, 0x80] + Array("é\u{2028}😀\r".utf8)
                + [0xED, 0xA0, 0x80, 0x7F, 10]
            try LogWriter(path: path, format: .json).write(stream: 1, input, time: Self.t0)
            #expect(try text(path) == #"{"log":"a\"b\\c\u0009\u0001\u003c\u003e\u0026\ufffd\ufffd\ufffdé\u2028😀\r\ufffd\ufffd\ufffd"# + "\u{7F}" + #"\n","stream":"stdout","time":"2026-11-23T10:00:00Z"}"# + "\n")
            let back = try readAll(path, .json)
            let fffd: [UInt8] = [0xEF, 0xBF, 0xBD]
            #expect(back.count == 1)
            #expect(back.first?.bytes == Array("a\"b\\c\t\u{1}<>&".utf8) + fffd + fffd + fffd + Array("é\u{2028}😀\r".utf8)
                + fffd + fffd + fffd + [0x7F])
        }
    }

    /// Lines as Docker and other tools write them: other key orders, `attrs`, escapes box does not write.
    @Test func readsForeignJSONLines() {
        let line = #"{"stream":"stderr","attrs":{"b":"2","a":"x y"},"log":"tab\there \ud83d\ude00 \u00e9\/","time":"2024-01-02T03:04:05.5+01:00"}"#
        let e = LogEntry.parse(Array(line.utf8)[...], format: .json)
        #expect(e?.stream == 2)
        #expect(e?.partial == true)
        #expect(e.map { String(decoding: $0.bytes, as: UTF8.self) } == "tab\there 😀 é/")
        #expect(e?.attrs == ["a": "x y", "b": "2"])
        #expect(e?.timestamp == Time.parseNanos("2024-01-02T02:04:05.5Z"))
        #expect(LogEntry.parse(Array(#"{"log":"x"#.utf8)[...], format: .json) == nil)
        #expect(LogEntry.parse(Array("not a log line".utf8)[...], format: .k8s) == nil)
        #expect(LogEntry.parse(Array("2024-01-02T03:04:05Z stdout F".utf8)[...], format: .k8s)?.bytes == [])
    }

    @Test(arguments: [LogFormat.json, .k8s])
    func rotationKeepsMaxFiles(format: LogFormat) throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: format, maxSize: 300, maxFiles: 3)
            for i in 0..<40 { try w.write(stream: 1, Array("line \(i)\n".utf8), time: Self.at(Int64(i))) }
            #expect(Files.exists(path + ".1") && Files.exists(path + ".2") && !Files.exists(path + ".3"))
            for p in [path, path + ".1", path + ".2"] {
                let size = try Files.read(p).count
                #expect(size > 0 && size <= 300)
            }
            // oldest first, in order, the newest kept
            let got = try readAll(path, format).map { String(decoding: $0.bytes, as: UTF8.self) }
            #expect(got.last == "line 39")
            #expect(got.count > 3 && got.count < 40)
            #expect(got == (40 - got.count..<40).map { "line \($0)" })
            #expect(LogReader(path: path, format: format).rotatedFiles() == [path + ".2", path + ".1"])
        }
    }

    @Test func rotationWithOneFileTruncates() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: .json, maxSize: 200, maxFiles: 1)
            for i in 0..<10 { try w.write(stream: 1, Array("entry \(i)\n".utf8), time: Self.at(Int64(i))) }
            #expect(!Files.exists(path + ".1"))
            let size = try Files.read(path).count
            #expect(size > 0 && size <= 200)
            #expect(try readAll(path, .json).last.map { String(decoding: $0.bytes, as: UTF8.self) } == "entry 9")
        }
    }

    /// The C API itself: errno on failure, appending to what is there.
    @Test func cWriterAppendsAndReportsErrors() throws {
        try withDir { dir in
            var log = box_log()
            errno = 0
            #expect(box_log_open(&log, dir + "/missing/ctr.log", Int32(BOX_LOG_JSON), 0, 1) == -1)
            #expect(errno == ENOENT)
            #expect(box_log_open(&log, dir + "/ctr.log", 7, 0, 1) == -1 && errno == EINVAL)
            for _ in 0..<2 {
                #expect(box_log_open(&log, dir + "/ctr.log", Int32(BOX_LOG_K8S), 0, 1) == 0)
                #expect(box_log_write(&log, 1, "hi\n", 3) == 0)
                #expect(log.size > 0)
                box_log_close(&log)
            }
            #expect(box_log_write(&log, 1, "x", 1) == -1 && errno == EBADF)
            let entries = try readAll(dir + "/ctr.log", .k8s)
            #expect(entries.map(\.bytes) == [Array("hi".utf8), Array("hi".utf8)])
            // box_log_write stamps with the clock
            let now = Timestamp.now()
            #expect(entries.allSatisfy { abs($0.seconds - now.seconds) < 60 })
        }
    }

    /// Tail counts lines: a partial entry and its continuation are one, per stream; a partial with no
    /// continuation yet is a line of its own.
    @Test(arguments: [LogFormat.json, .k8s])
    func tailCountsLines(format: LogFormat) throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: format)
            try w.write(stream: 1, Array("a\nb1".utf8), time: Self.at(0))
            try w.write(stream: 2, Array("e1".utf8), time: Self.at(1))
            try w.write(stream: 1, Array("b2".utf8), time: Self.at(2))
            try w.write(stream: 2, Array("e2\n".utf8), time: Self.at(3))
            try w.write(stream: 1, Array("b3\nc\nd".utf8), time: Self.at(4))
            func tail(_ n: Int) throws -> [String] { lines(try readAll(path, format, LogQuery(tail: n))) }
            #expect(try tail(0) == [])
            #expect(try tail(1) == ["1:d"])
            #expect(try tail(2) == ["1:c", "1:d"])
            #expect(try tail(3) == ["1:b1b2b3", "1:c", "1:d"])
            #expect(try tail(4) == ["1:b1b2b3", "2:e1e2", "1:c", "1:d"])
            #expect(try tail(5) == ["1:a", "1:b1b2b3", "2:e1e2", "1:c", "1:d"])
            #expect(try tail(99) == tail(5))
            #expect(try lines(readAll(path, format)) == tail(5))
        }
    }

    @Test func tailReadsRotatedFilesAndLongLines() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: .json, maxSize: 100_000, maxFiles: 5)
            let long = String(repeating: "x", count: 70_000)
            for i in 0..<6 { try w.write(stream: 1, Array("\(i)\(long)\n".utf8), time: Self.at(Int64(i))) }
            #expect(LogReader(path: path, format: .json).rotatedFiles().count == 4)
            let got = try readAll(path, .json, LogQuery(tail: 3)).map { String(decoding: $0.bytes.prefix(1), as: UTF8.self) }
            #expect(got == ["3", "4", "5"])
            #expect(try readAll(path, .json, LogQuery(tail: 3)).allSatisfy { $0.bytes.count == 70_001 })
        }
    }

    @Test func sinceAndUntil() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: .k8s)
            for i in 0..<6 { try w.write(stream: 1, Array("\(i)\n".utf8), time: Self.at(Int64(i * 10), 500)) }
            func get(_ q: LogQuery) throws -> [String] { try readAll(path, .k8s, q).map { String(decoding: $0.bytes, as: UTF8.self) } }
            #expect(try get(LogQuery(since: Self.at(20, 500))) == ["2", "3", "4", "5"])
            #expect(try get(LogQuery(since: Self.at(20, 501))) == ["3", "4", "5"])
            #expect(try get(LogQuery(until: Self.at(20, 500))) == ["0", "1", "2"])
            #expect(try get(LogQuery(since: Self.at(10), until: Self.at(30))) == ["1", "2"])
            // tail first, then the window, as Docker does
            #expect(try get(LogQuery(tail: 2, since: Self.at(10))) == ["4", "5"])
            #expect(try get(LogQuery(tail: 3, until: Self.at(35))) == ["3"])
        }
    }

    @Test(arguments: [
        ("10m", Timestamp(seconds: 1_000_000 - 600)), ("1h30m", Timestamp(seconds: 1_000_000 - 5400)),
        ("1.5s", Timestamp(seconds: 999_998)), ("-10s", Timestamp(seconds: 1_000_010)),
        ("2024-01-02T03:04:05Z", Timestamp(seconds: 1_704_164_645)),
        ("2024-01-02T03:04:05.000000123Z", Timestamp(seconds: 1_704_164_645, nanos: 123)),
        ("2024-01-02T03:04:05+02:00", Timestamp(seconds: 1_704_164_645 - 7200)),
        ("2024-01-02T03:04Z", Timestamp(seconds: 1_704_164_640)),
        ("2024-01-02Z", Timestamp(seconds: 1_704_153_600)),
        ("1700000000", Timestamp(seconds: 1_700_000_000)), ("1700000000.5", Timestamp(seconds: 1_700_000_000, nanos: 500_000_000)),
        ("0", Timestamp(seconds: 0)),
    ])
    func sinceValues(value: String, want: Timestamp) {
        #expect(Time.parseSince(value, now: Timestamp(seconds: 1_000_000, nanos: 700)) == want)
    }

    @Test func sinceValuesInTheLocalZone() {
        let now = Timestamp.now()
        let offset = Int64(Time.localOffset(at: now.seconds))
        #expect(Time.parseSince("2024-01-02", now: now) == Timestamp(seconds: 1_704_153_600 - offset))
        #expect(Time.parseSince("2024-01-02T03:04:05.25", now: now) == Timestamp(seconds: 1_704_164_645 - offset, nanos: 250_000_000))
        #expect(Time.parseSince("2024-01-02T03", now: now) == Timestamp(seconds: 1_704_164_400 - offset))
        for bad in ["yesterday", "2024-13-01", "2024-01-02T03:04:05Q", "10x", "1.2.3", ""] {
            #expect(Time.parseSince(bad) == nil, "\(bad)")
        }
    }

    @Test(arguments: [("300ms", Int64(300_000_000)), ("2h45m", 9_900_000_000_000), ("1.5µs", 1500), ("-1m", -60_000_000_000), ("0", 0), (".5s", 500_000_000)])
    func goDurations(value: String, want: Int64) {
        #expect(Time.parseDuration(value) == want)
    }

    @Test func timestampFormsAndArithmetic() {
        #expect(Self.at(0, 5).rfc3339NanoFixed == "2026-11-23T10:00:00.000000005Z")
        #expect(Self.t0.rfc3339NanoFixed == "2026-11-23T10:00:00.000000000Z")
        #expect(Time.parseNanos("2026-11-23T10:00:00.000000005+00:00") == Self.at(0, 5))
        #expect(Time.parseNanos("2026-11-23") == nil)
        #expect(Timestamp(seconds: 10).minus(nanoseconds: 1_500_000_000) == Timestamp(seconds: 8, nanos: 500_000_000))
        #expect(Timestamp(seconds: 10).minus(nanoseconds: -1_500_000_000) == Timestamp(seconds: 11, nanos: 500_000_000))
    }

    /// A writer on another thread appends (across rotations) while the reader follows; after the end is
    /// signalled the follower reads what is left and returns with every entry, in order.
    @Test(arguments: [(LogFormat.json, 5), (.k8s, 1)])
    func followSeesAppendsAndRotation(format: LogFormat, maxFiles: Int) throws {
        try withDir { dir in
            let path = dir + "/ctr.log", done = dir + "/done"
            let w = try LogWriter(path: path, format: format, maxSize: maxFiles > 1 ? 400 : 0, maxFiles: maxFiles)
            try w.write(stream: 1, Array("before\n".utf8))
            let reader = LogReader(path: path, format: format)
            var seen: [String] = []
            let position = try reader.read(LogQuery()) { seen.append(String(decoding: $0.bytes, as: UTF8.self)) }
            #expect(seen == ["before"])
            let writer = try Worker {
                for i in 0..<60 {
                    try? w.write(stream: Int32(1 + i % 2), Array("line \(i)\n".utf8))
                    if i % 4 == 0 { usleep(10_000) }
                }
                try? w.write(stream: 1, Array("last".utf8))
                _ = try? Files.write(done, [])
            }
            var polls = 0
            try reader.follow(from: position, interval: 0.01, running: { polls += 1; return !Files.exists(done) }) {
                seen.append(String(decoding: $0.bytes, as: UTF8.self))
            }
            writer.join()
            #expect(seen == ["before"] + (0..<60).map { "line \($0)" } + ["last"])
            #expect(polls > 1)
            if maxFiles > 1 { #expect(Files.exists(path + ".1")) }
        }
    }

    @Test func followStopsAfterUntilAndWaitsForTheFile() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let reader = LogReader(path: path, format: .json)
            let position = try reader.read(LogQuery()) { _ in Issue.record("no file, no entries") }
            #expect(position == .none)
            var seen: [String] = []
            var rounds = 0
            try reader.follow(from: position, until: Self.at(5), interval: 0.01, running: {
                rounds += 1
                if rounds == 3 {
                    let w = try? LogWriter(path: path, format: .json)
                    for i in 0..<10 { try? w?.write(stream: 1, Array("\(i)\n".utf8), time: Self.at(Int64(i))) }
                }
                return true
            }) { seen.append(String(decoding: $0.bytes, as: UTF8.self)) }
            #expect(seen == ["0", "1", "2", "3", "4", "5"])
        }
    }

    @Test func truncatedFileIsReadFromItsStart() throws {
        try withDir { dir in
            let path = dir + "/ctr.log"
            let w = try LogWriter(path: path, format: .json)
            try w.write(stream: 1, Array("old 1\nold 2\n".utf8))
            let reader = LogReader(path: path, format: .json)
            let position = try reader.read(LogQuery()) { _ in }
            #expect(truncate(path, 0) == 0)
            try w.write(stream: 1, Array("new\n".utf8))
            var seen: [String] = []
            try reader.follow(from: position, running: { false }) { seen.append(String(decoding: $0.bytes, as: UTF8.self)) }
            #expect(seen == ["new"])
        }
    }
}
