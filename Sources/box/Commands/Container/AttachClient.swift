#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOS
import BoxRuntime
import CBox

/// The client end of a container's monitor: what `run -it`, `start -a` and `attach` share.
enum AttachClient {
    /// Docker's default detach keys.
    static let defaultKeys = "ctrl-p,ctrl-q"

    /// Parses Docker's `--detach-keys` (`ctrl-p,ctrl-q`, `ctrl-@`, single characters); empty turns detaching off.
    static func parseKeys(_ s: String) throws(BoxError) -> [UInt8] {
        if s.isEmpty { return [] }
        var out: [UInt8] = []
        for part in s.split(separator: ",", omittingEmptySubsequences: false) {
            let u = Array(part.utf8)
            if u.count == 1 {
                out.append(u[0])
            } else if u.count == 6, part.lowercased().hasPrefix("ctrl-") {
                let c = u[5]
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): out.append(c - UInt8(ascii: "a") + 1)
                case UInt8(ascii: "@"), UInt8(ascii: "["), UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                    out.append(c - UInt8(ascii: "@"))
                default: throw BoxError(.invalidArgument, "invalid detach keys (\(s)): unknown character '\(part)'")
                }
            } else {
                throw BoxError(.invalidArgument, "invalid detach keys (\(s)): unknown character '\(part)'")
            }
        }
        return out
    }

    /// Starts the container's monitor with this process attached from the first byte, and stays attached.
    static func runAttached(_ r: ContainerRecord, paths: BoxPaths, stdin: Bool, keys: [UInt8], removeOnFailure: Bool = true) throws(BoxError) -> Int32 {
        var sv: [Int32] = [-1, -1]
        try check("socketpair", "attach") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) }
        var size: (rows: UInt16, cols: UInt16) = (0, 0)
        if r.settings.tty { _ = box_tty_get_size(0, &size.rows, &size.cols) }
        do throws(BoxError) {
            _ = try Monitor.spawn(id: r.id, paths: paths, client: sv[1], removeOnFailure: removeOnFailure, ttySize: size)
        } catch {
            close(sv[0])
            close(sv[1])
            throw error
        }
        close(sv[1])
        return try attach(sv[0], tty: r.settings.tty, stdin: stdin, keys: keys) ?? 0
    }

    /// Relays between this terminal and an attached socket until the container exits (its code) or the
    /// user detaches (nil). Raw mode on a tty is restored on every way out.
    static func attach(_ sock: Int32, tty: Bool, stdin: Bool, keys: [UInt8]) throws(BoxError) -> Int32? {
        defer { close(sock) }
        let terminal = tty && stdin && Terminal.isTTY(0) ? Terminal(fd: 0) : nil
        terminal?.makeRaw()
        defer { terminal?.restore() }
        var sigs: [Int32] = [SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        let sfd = box_signalfd(&sigs, Int32(sigs.count))
        defer { if sfd >= 0 { close(sfd) } }
        let ttyFD: Int32 = tty && Terminal.isTTY(0) ? 0 : -1
        let code = keys.withUnsafeBufferPointer { k in
            box_attach_client(sock, stdin ? 0 : -1, 1, tty ? 1 : 2, ttyFD, sfd, k.baseAddress, stdin ? Int32(k.count) : 0)
        }
        switch code {
        case -2: return nil
        case -1: throw BoxError(.system, "lost the connection to the container's monitor")
        default: return code
        }
    }
}
