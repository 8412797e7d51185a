import ArgumentParser
import BoxCore
import BoxRuntime

/// `box kill [-s SIG] CONTAINER…`: send a signal (SIGKILL by default) to running containers.
struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill one or more running containers")

    @Option(name: [.customShort("s"), .customLong("signal")], help: "Signal to send to the container")
    var signal = "KILL"
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        try EachContainer.require(containers, "kill")
        // checked once, before any container is touched
        let sig = try Signals.parse(signal)
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        try EachContainer.run(containers) { (ref) throws(BoxError) in
            do throws(BoxError) {
                try lifecycle.kill(try lifecycle.store.resolve(ref), signal: sig)
            } catch {
                throw BoxError(error.code, "cannot kill container: \(ref): \(error.message)")
            }
        }
    }
}
