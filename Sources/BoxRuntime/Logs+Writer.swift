#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

/// A container's log file open for writing: the C writer (`box_log_*`, which a monitor uses directly) owned
/// by a class that closes it.
public final class LogWriter {
    private let log: UnsafeMutablePointer<box_log>
    private let path: String

    /// Opens (creates, mode 0600) `path` for appending; rotates past `maxSize` bytes (0: never), keeping
    /// `maxFiles` files in all.
    public init(path: String, format: LogFormat, maxSize: Int64 = 0, maxFiles: Int = 1) throws(BoxError) {
        log = .allocate(capacity: 1)
        self.path = path
        guard box_log_open(log, path, format.cValue, maxSize, Int32(clamping: maxFiles)) == 0 else {
            let e = errno
            log.deallocate()
            throw BoxError.sys("open log file", path, errno: e)
        }
    }

    /// Lets a relay write to this log: its `log` and `log_fn` fields.
    func attach(to relay: inout box_relay) {
        relay.log = UnsafeMutableRawPointer(log)
        relay.log_fn = { ctx, stream, buf, n in
            box_log_write(ctx!.assumingMemoryBound(to: box_log.self), stream, buf, n)
        }
    }

    deinit {
        box_log_close(log)
        log.deallocate()
    }

    /// Writes a chunk of output of stream 1 (stdout) or 2 (stderr), stamped with `time` or the clock's now.
    public func write(stream: Int32, _ bytes: [UInt8], time: Timestamp? = nil) throws(BoxError) {
        let rc = bytes.withUnsafeBufferPointer { b -> Int32 in
            let p = UnsafeRawPointer(b.baseAddress)?.assumingMemoryBound(to: CChar.self)
            if let time { return box_log_write_at(log, stream, p, b.count, time.seconds, Int(time.nanos)) }
            return box_log_write(log, stream, p, b.count)
        }
        guard rc == 0 else { throw BoxError.sys("write log file", path, errno: errno) }
    }
}
