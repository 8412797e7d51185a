#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

/// One process, named for good by a pidfd: signals sent through it never reach a process that reused the pid.
///
/// The pidfd is opened first and the start time checked after, so the fd names the process whose start time
/// matched: if the pid had been reused before the open, the check fails and no handle is made.
public final class ProcessHandle {
    public let pid: Int32
    private let fd: Int32

    /// A handle on `pid` if it is the live (not zombie) process that started at `startTime`; nil otherwise.
    public init?(pid: Int32, startTime: UInt64) {
        guard pid > 0 else { return nil }
        let fd = box_pidfd_open(pid)
        guard fd >= 0 else { return nil }
        guard ProcessInfo.isAlive(pid, startTime: startTime) else {
            close(fd)
            return nil
        }
        self.pid = pid
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends `signal`; a process that has exited meanwhile is not an error.
    public func signal(_ signal: Int32) throws(BoxError) {
        if box_pidfd_send_signal(fd, signal) != 0 && errno != ESRCH {
            throw BoxError.sys("send signal \(signal) to process \(pid)", errno: errno)
        }
    }

    /// Waits until the process has exited, for at most `timeout` seconds (nil: no limit); true if it has.
    public func wait(timeout: Double?) -> Bool {
        let deadline = timeout.map { Monotonic.now() + $0 }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            var ms: Int32 = -1
            if let deadline {
                let left = deadline - Monotonic.now()
                if left <= 0 { return poll(&p, 1, 0) > 0 }
                ms = Int32(min(left * 1000, Double(Int32.max)).rounded(.up))
            }
            let n = poll(&p, 1, ms)
            if n > 0 { return true }
            if n < 0 && errno != EINTR { return false }
        }
    }
}

/// A clock for deadlines, unaffected by changes to the wall clock.
public enum Monotonic {
    /// Seconds since an arbitrary fixed point (`CLOCK_MONOTONIC`).
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
