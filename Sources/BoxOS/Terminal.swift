#if canImport(Glibc)
import Glibc
#endif

/// The caller's terminal: raw mode for `-it`, restored on every way out.
public final class Terminal {
    public let fd: Int32
    private var saved: termios?

    public init(fd: Int32) { self.fd = fd }

    /// Whether `fd` is a terminal.
    public static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Puts the terminal in raw mode (no echo, no line editing, no signals from keys: Ctrl-C reaches the
    /// container as a byte); `restore()` undoes it.
    public func makeRaw() {
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else { return }
        saved = t
        // fully raw, as Docker's client: the container's own pty does the output processing
        cfmakeraw(&t)
        tcsetattr(fd, TCSADRAIN, &t)
    }

    /// Restores the mode `makeRaw` found; safe to call more than once.
    public func restore() {
        guard var t = saved else { return }
        tcsetattr(fd, TCSADRAIN, &t)
        saved = nil
    }

    deinit { restore() }
}
