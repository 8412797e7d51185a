#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime

/// `box container-monitor ID`: the monitor of a detached container (not for people: box starts it).
struct ContainerMonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "container-monitor", abstract: "Run a container's monitor",
                                                    shouldDisplay: false)

    @Flag(name: .customLong("attached")) var attached = false
    @Flag(name: .customLong("remove-on-failure")) var removeOnFailure = false
    @Option(name: .customLong("tty-size")) var ttySize: String?
    /// Set by the monitor's C loop when it re-executes box after the container exited.
    @Flag(name: .customLong("resume")) var resume = false
    @Option(name: .customLong("backoff")) var backoff: UInt32 = 100_000
    @Option(name: .customLong("exit-code")) var exitCode: Int32 = 0
    @Option(name: .customLong("fds")) var fds: String = "-1,-1"
    @Option(name: .customLong("clients")) var clients: String = "-"
    @Argument var id: String

    func run() throws {
        let held = fds.split(separator: ",").compactMap { Int32($0) }
        let clientFDs = clients == "-" ? [] : clients.split(separator: ",").compactMap { Int32($0) }
        // the fds this process was given came without close-on-exec; nothing the monitor starts may inherit them
        for fd in (resume ? held + clientFDs : [3, 4]) where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var o = Monitor.Options()
        o.notifyFD = resume ? -1 : 3
        o.clientFD = attached && !resume ? 4 : -1
        o.removeOnFailure = removeOnFailure
        if let s = ttySize {
            let p = s.split(separator: "x").compactMap { UInt16($0) }
            if p.count == 2 { o.ttySize = (p[0], p[1]) }
        }
        let ctx = Context()
        let back = resume && held.count == 2
            ? Monitor.Resume(exitCode: exitCode, listenFD: held[0], signalFD: held[1], clients: clientFDs, backoff: backoff) : nil
        let code = Monitor(store: try ctx.containers(), cgroups: ctx.cgroups()).run(id: id, options: o, resume: back)
        throw ContainerExit(code: code)
    }
}
