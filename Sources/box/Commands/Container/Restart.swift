import ArgumentParser
import BoxCore
import BoxRuntime

/// `box restart [-t N] CONTAINER…`: stop (as `box stop` does), then start again under a new monitor.
struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one or more containers")

    @Option(name: [.customShort("t"), .customLong("timeout"), .customLong("time")], parsing: .unconditional,
            help: "Seconds to wait before killing the container (default: its --stop-timeout, else 10)")
    var timeout: Int?
    @Option(name: [.customShort("s"), .customLong("signal")], help: "Signal to send to the container to stop it")
    var signal: String?
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        try EachContainer.require(containers, "restart")
        let sig = try signal.map { (s) throws(BoxError) in try Signals.parse(s) }
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        let timeout = self.timeout
        let paths = ctx.paths
        try EachContainer.parallel(containers) { (ref) throws(BoxError) in
            let r = try lifecycle.store.resolve(ref)
            do throws(BoxError) {
                try lifecycle.stop(r, signal: sig, timeout: timeout)
                _ = try Monitor.spawn(id: r.id, paths: paths, removeOnFailure: false)
            } catch {
                throw BoxError(error.code, "cannot restart container: \(ref): \(error.message)")
            }
        }
    }
}
