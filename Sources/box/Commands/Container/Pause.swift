import ArgumentParser
import BoxCore
import BoxRuntime

/// `box pause CONTAINER…`: freeze every process of the containers.
struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause all processes within one or more containers")

    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        try EachContainer.require(containers, "pause")
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        try EachContainer.run(containers) { (ref) throws(BoxError) in try lifecycle.pause(try lifecycle.store.resolve(ref)) }
    }
}
