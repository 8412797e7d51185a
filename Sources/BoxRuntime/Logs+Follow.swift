#if canImport(Glibc)
import Glibc
#endif
import BoxCore

extension LogReader {
    /// Follows the log from where `read` ended: calls body with each entry appended since, also across a
    /// rotation (a new file at `path`: the old one is read to its end first) and a truncation (read again from
    /// the start). Polls every `interval` seconds until `running` says the container has ended, then reads what
    /// is left and returns; also returns at the first entry after `until`, or when the clock passes it.
    public func follow(from position: LogPosition, until: Timestamp? = nil, interval: Double = 0.1,
                       running: () -> Bool, _ body: (LogEntry) throws(BoxError) -> Void) throws(BoxError) {
        var state = FollowState(reader: self, until: until)
        state.resume(at: position)
        while true {
            // asked before reading: whatever the container wrote before it ended is read in this pass
            let ended = !running()
            let got = try state.pass(body)
            if state.done || ended { return }
            if let until, Timestamp.now() > until { return }
            if !got { usleep(UInt32(interval * 1_000_000)) }
        }
    }
}

/// The file a follower reads and how far.
private struct FollowState {
    let reader: LogReader
    let until: Timestamp?
    var file: OpenLog?
    var lines = LineReader(fd: -1, offset: 0)
    var done = false

    init(reader: LogReader, until: Timestamp?) {
        self.reader = reader
        self.until = until
    }

    /// Opens the file that `read` ended in: the current one, or `path.1` if it was rotated since.
    mutating func resume(at position: LogPosition) {
        guard position.inode != 0 else { return }
        for candidate in [reader.path, reader.path + ".1"] {
            if let f = OpenLog(candidate), f.device == position.device, f.inode == position.inode {
                open(f, at: position.offset)
                return
            }
        }
    }

    mutating func open(_ f: OpenLog, at offset: Int64) {
        file = f
        lines = LineReader(fd: f.fd, offset: offset)
    }

    /// Reads what is new; moves to a new file at `path` after reading the old one to its end. Returns whether
    /// any entry was read.
    mutating func pass(_ body: (LogEntry) throws(BoxError) -> Void) throws(BoxError) -> Bool {
        var got = false
        for _ in 0..<16 {
            got = try drain(body) || got
            if done { return got }
            let now = OpenLog(reader.path)
            if let now, let f = file, now.device == f.device, now.inode == f.inode {
                // the same file: cut short means truncated by a rotation with one file
                if f.currentSize() < lines.consumed {
                    lines.reset(to: 0)
                    continue
                }
                return got
            }
            guard let now else { return got }
            // a new file: the old one may have had a last write between our read and the rename
            if file != nil { got = try drain(body) || got }
            if done { return got }
            // files rotated out after ours (several rotations between two polls) come first, one at a time:
            // the next round reads it and looks again, as `now` may itself have been rotated out meanwhile
            open(newerRotatedFiles().first ?? now, at: 0)
        }
        return got
    }

    /// The rotated files newer than the one being read, oldest first; none if it is not among them (it is
    /// still `path`, or was rotated away entirely).
    func newerRotatedFiles() -> [OpenLog] {
        guard let f = file else { return [] }
        let files = reader.rotatedFiles().compactMap { OpenLog($0) }
        guard let i = files.firstIndex(where: { $0.device == f.device && $0.inode == f.inode }) else { return [] }
        return Array(files[(i + 1)...])
    }

    /// Reads the open file to its end.
    mutating func drain(_ body: (LogEntry) throws(BoxError) -> Void) throws(BoxError) -> Bool {
        guard file != nil else { return false }
        let format = reader.format, until = until
        var stop = false
        let got = try lines.forEachLine { (line) throws(BoxError) -> Bool in
            guard let e = LogEntry.parse(line, format: format) else { return true }
            if let until, e.timestamp > until {
                stop = true
                return false
            }
            try body(e)
            return true
        }
        if stop { done = true }
        return got
    }
}
