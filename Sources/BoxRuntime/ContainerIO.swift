#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

/// A container's stdio for one start: the ends its process gets, and the ends box keeps.
///
/// Without a tty, stdout and stderr are pipes whose read ends box keeps (to log and relay them); stdin is
/// `/dev/null`, a pipe box writes (`-i` under a monitor) or one of box's own fds. With a tty, the container's
/// process opens a pty in its own devpts and sends the master back over `consoleChild`'s socket.
public final class ContainerIO {
    /// What the container reads.
    public enum Stdin: Sendable {
        case null
        case pipe
        case fd(Int32)
    }

    /// The child's ends (-1: box's own).
    public private(set) var childIn: Int32 = -1, childOut: Int32 = -1, childErr: Int32 = -1, consoleChild: Int32 = -1
    /// Box's ends: the container's stdin (a pipe, or the pty master with `-it`), its output, the pty master.
    public private(set) var inWrite: Int32 = -1, outRead: Int32 = -1, errRead: Int32 = -1, master: Int32 = -1
    private var consoleParent: Int32 = -1
    private var ownsChildIn = false
    public let tty: Bool
    private let interactive: Bool
    /// The pty's first window size (0, 0 to leave it).
    public var size: (rows: UInt16, cols: UInt16) = (0, 0)

    public init(tty: Bool, stdin: Stdin) throws(BoxError) {
        self.tty = tty
        if case .null = stdin { interactive = false } else { interactive = true }
        do throws(BoxError) {
            if tty {
                var sv: [Int32] = [-1, -1]
                try check("socketpair", "console") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) }
                consoleParent = sv[0]
                consoleChild = sv[1]
                return
            }
            switch stdin {
            case .null:
                childIn = try check("open", "/dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
                ownsChildIn = true
            case .pipe:
                (childIn, inWrite) = try Self.pipe()
                ownsChildIn = true
            case .fd(let fd):
                childIn = fd
            }
            (outRead, childOut) = try Self.pipe()
            (errRead, childErr) = try Self.pipe()
        } catch {
            close()
            throw error
        }
    }

    private static func pipe() throws(BoxError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        try check("pipe", "container stdio") { box_pipe_cloexec(&fds) }
        return (fds[0], fds[1])
    }

    /// After the container's process started: drops the ends that are now its, and takes the pty master.
    public func childStarted() throws(BoxError) {
        closeChildEnds()
        guard consoleParent >= 0 else { return }
        let fd = box_recv_fd(consoleParent)
        let err = errno
        Glibc.close(consoleParent)
        consoleParent = -1
        guard fd >= 0 else { throw BoxError.sys("receive the container's pty", errno: err == 0 ? EPIPE : err) }
        master = fd
        outRead = fd
        if interactive { inWrite = fd }
    }

    private func closeChildEnds() {
        for fd in [ownsChildIn ? childIn : -1, childOut, childErr, consoleChild] where fd >= 0 { Glibc.close(fd) }
        childIn = -1
        childOut = -1
        childErr = -1
        consoleChild = -1
    }

    /// Closes every fd still held.
    public func close() {
        closeChildEnds()
        var seen = Set<Int32>()
        for fd in [inWrite, outRead, errRead, master, consoleParent] where fd >= 0 && seen.insert(fd).inserted { Glibc.close(fd) }
        inWrite = -1
        outRead = -1
        errRead = -1
        master = -1
        consoleParent = -1
    }

    deinit { close() }
}
