#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// What `box logs` asks for: the last lines, and a time window.
public struct LogQuery: Sendable, Equatable {
    /// The last N lines (a partial entry and its continuation count as one); nil for all.
    public var tail: Int?
    /// Entries before this time are left out.
    public var since: Timestamp?
    /// Reading stops at the first entry after this time.
    public var until: Timestamp?

    public init(tail: Int? = nil, since: Timestamp? = nil, until: Timestamp? = nil) {
        self.tail = tail
        self.since = since
        self.until = until
    }
}

/// Where reading of the current log file ended: the file (device and inode) and the offset after the last
/// complete entry. A follower goes on from there.
public struct LogPosition: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var offset: Int64

    /// No file yet.
    public static let none = LogPosition(device: 0, inode: 0, offset: 0)
}

/// A container's log files: `path.N` … `path.1` (rotated, oldest first), then `path`.
public struct LogReader: Sendable {
    public let path: String
    public let format: LogFormat

    public init(path: String, format: LogFormat) {
        self.path = path
        self.format = format
    }

    /// The rotated files, oldest first; the current file is not among them.
    public func rotatedFiles() -> [String] {
        var out: [String] = []
        while Files.exists("\(path).\(out.count + 1)") { out.append("\(path).\(out.count + 1)") }
        return out.reversed()
    }

    /// Calls body with the entries the query selects, in file order; returns where the current file ended,
    /// for `follow`. Lines that are not entries (a torn last line, garbage) are skipped.
    @discardableResult
    public func read(_ query: LogQuery, _ body: (LogEntry) throws(BoxError) -> Void) throws(BoxError) -> LogPosition {
        // the current file is opened first: what it holds now is read, and a follower goes on from its end
        let current = OpenLog(path)
        let end = current?.size ?? 0
        var position = current?.position(offset: 0) ?? .none
        if let tail = query.tail {
            let entries = try tailEntries(tail, current: current, end: end)
            position.offset = end - (current.map { Int64($0.trailingFragment(end: end)) } ?? 0)
            for e in entries {
                if let u = query.until, e.timestamp > u { break }
                if let s = query.since, e.timestamp < s { continue }
                try body(e)
            }
            return position
        }
        var stop = false
        func emit(_ e: LogEntry) throws(BoxError) -> Bool {
            if let u = query.until, e.timestamp > u {
                stop = true
                return false
            }
            if let s = query.since, e.timestamp < s { return true }
            try body(e)
            return true
        }
        for file in rotatedFiles() where !stop {
            guard let f = OpenLog(file) else { continue }
            var reader = LineReader(fd: f.fd, offset: 0)
            _ = try reader.forEachLine(upTo: f.size) { (line) throws(BoxError) -> Bool in
                guard let e = LogEntry.parse(line, format: format) else { return true }
                return try emit(e)
            }
        }
        guard let current, !stop else { return position }
        var reader = LineReader(fd: current.fd, offset: 0)
        _ = try reader.forEachLine(upTo: end) { (line) throws(BoxError) -> Bool in
            guard let e = LogEntry.parse(line, format: format) else { return true }
            return try emit(e)
        }
        position.offset = reader.consumed
        return position
    }

    /// The last `n` lines, read backwards from the newest file. Going back, a complete entry starts a new
    /// line and the partial entries of its stream before it belong to it; a partial entry of a stream not yet
    /// seen is a line that was never finished. Once `n` lines are found, only the earlier parts of lines still
    /// open are taken.
    func tailEntries(_ n: Int, current: OpenLog?, end: Int64) throws(BoxError) -> [LogEntry] {
        guard n > 0 else { return [] }
        var picked: [LogEntry] = []
        var lines = 0
        var open: [Int32: Bool] = [:]
        func take(_ line: ArraySlice<UInt8>) -> Bool {
            guard let e = LogEntry.parse(line, format: format) else { return true }
            if lines < n {
                if !e.partial || open[e.stream] == nil { lines += 1 }
                open[e.stream] = true
                picked.append(e)
                return true
            }
            if open[e.stream] != true { return true }
            if e.partial {
                picked.append(e)
            } else {
                open[e.stream] = false
            }
            return open.values.contains(true)
        }
        var more = true
        if let current { more = try current.forEachLineBackward(end: end - Int64(current.trailingFragment(end: end)), take) }
        for file in rotatedFiles().reversed() where more {
            guard let f = OpenLog(file) else { continue }
            more = try f.forEachLineBackward(end: f.size, take)
        }
        return picked.reversed()
    }
}

/// An open log file, read-only, with its identity and size when opened.
final class OpenLog {
    let fd: Int32
    let size: Int64
    let device: UInt64
    let inode: UInt64

    init?(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
        size = Int64(st.st_size)
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    deinit { close(fd) }

    func position(offset: Int64) -> LogPosition { LogPosition(device: device, inode: inode, offset: offset) }

    /// The current size of the file (it grows while the container writes).
    func currentSize() -> Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// How many bytes at the end (before `end`) follow the last newline: a write in progress.
    func trailingFragment(end: Int64) -> Int {
        var n = 0
        var buf = [UInt8](repeating: 0, count: 4096)
        var pos = end
        while pos > 0 {
            let len = Int(min(Int64(buf.count), pos))
            guard pread(fd, &buf, len, off_t(pos) - off_t(len)) == len else { return n }
            if let nl = buf[0..<len].lastIndex(of: 10) { return n + (len - 1 - nl) }
            n += len
            pos -= Int64(len)
        }
        return n
    }

    /// Calls body with each line ending before `end` (which is just after a newline), last first, until it
    /// returns false; returns false if it stopped early.
    func forEachLineBackward(end: Int64, _ body: (ArraySlice<UInt8>) throws(BoxError) -> Bool) throws(BoxError) -> Bool {
        let chunk: Int64 = 64 * 1024
        var pos = end
        // bytes of lines not yet complete (their start is in an earlier chunk), in file order
        var carry: [UInt8] = []
        while pos > 0 {
            let len = Int(min(chunk, pos))
            pos -= Int64(len)
            var buf = [UInt8](repeating: 0, count: len)
            var got = 0
            while got < len {
                let r = pread(fd, &buf[got], len - got, off_t(pos) + off_t(got))
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else { throw BoxError.sys("read log file", nil, errno: r < 0 ? errno : EIO) }
                got += r
            }
            let data = buf + carry
            // split at newlines; the first piece may continue in the previous chunk; the newline at `end`
            // ends the last line
            var lineEnd = data.count
            if pos + Int64(len) == end && data.last == 10 { lineEnd -= 1 }
            var i = lineEnd - 1
            while i >= 0 {
                if data[i] == 10 {
                    guard try body(data[(i + 1)..<lineEnd]) else { return false }
                    lineEnd = i
                }
                i -= 1
            }
            carry = Array(data[0..<lineEnd])
        }
        return end > 0 ? try body(carry[...]) : true
    }
}

/// Reads the lines of a file from an offset, in chunks; `consumed` is the offset after the last complete line.
struct LineReader {
    let fd: Int32
    private(set) var consumed: Int64
    private var pending: [UInt8] = []

    init(fd: Int32, offset: Int64) {
        self.fd = fd
        consumed = offset
    }

    /// Starts again at an offset (the file was cut short).
    mutating func reset(to offset: Int64) {
        consumed = offset
        pending = []
    }

    /// Calls body with each complete line (without its newline) up to `limit` or the end of the file, until
    /// it returns false. Returns whether any line was read.
    mutating func forEachLine(upTo limit: Int64? = nil, _ body: (ArraySlice<UInt8>) throws(BoxError) -> Bool) throws(BoxError) -> Bool {
        var any = false
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let at = consumed + Int64(pending.count)
            var want = buf.count
            if let limit {
                guard at < limit else { return any }
                want = Int(min(Int64(want), limit - at))
            }
            let r = pread(fd, &buf, want, off_t(at))
            if r < 0 && errno == EINTR { continue }
            guard r >= 0 else { throw BoxError.sys("read log file", nil, errno: errno) }
            if r == 0 { return any }
            var start = 0
            for i in 0..<r where buf[i] == 10 {
                let lineLength: Int
                if pending.isEmpty {
                    lineLength = i - start
                    any = true
                    consumed += Int64(lineLength + 1)
                    guard try body(buf[start..<i]) else { return true }
                } else {
                    pending += buf[start..<i]
                    lineLength = pending.count
                    let line = pending
                    pending = []
                    any = true
                    consumed += Int64(lineLength + 1)
                    guard try body(line[...]) else { return true }
                }
                start = i + 1
            }
            pending += buf[start..<r]
        }
    }
}
