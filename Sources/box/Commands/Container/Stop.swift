import ArgumentParser
import BoxCore
import BoxRuntime

/// `box stop [-t N] [-s SIG] [-a] CONTAINER…`: the stop signal, then SIGKILL after the timeout.
struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop one or more running containers")

    @Option(name: [.customShort("t"), .customLong("timeout"), .customLong("time")], parsing: .unconditional,
            help: "Seconds to wait before killing the container (default: its --stop-timeout, else 10; -1 waits for ever)")
    var timeout: Int?
    @Option(name: [.customShort("s"), .customLong("signal")], help: "Signal to send to the container (default: its stop signal, else SIGTERM)")
    var signal: String?
    @Flag(name: [.customShort("a"), .customLong("all")], help: "Stop all running containers")
    var all = false
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        if all && !containers.isEmpty { throw BoxError(.invalidArgument, "--all and container names cannot be used together") }
        if !all { try EachContainer.require(containers, "stop") }
        let sig = try signal.map { (s) throws(BoxError) in try Signals.parse(s) }
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        let refs = all ? try lifecycle.store.list().filter { $0.state.status.isActive }.map(\.id) : containers
        let timeout = self.timeout
        try EachContainer.parallel(refs) { (ref) throws(BoxError) in
            let r = try lifecycle.store.resolve(ref)
            do throws(BoxError) {
                try lifecycle.stop(r, signal: sig, timeout: timeout)
            } catch {
                throw BoxError(error.code, "cannot stop container: \(ref): \(error.message)")
            }
        }
    }
}
