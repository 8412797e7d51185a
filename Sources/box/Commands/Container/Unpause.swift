import ArgumentParser
import BoxCore
import BoxRuntime

/// `box unpause CONTAINER…`: let the processes of paused containers run again.
struct Unpause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause all processes within one or more containers")

    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        try EachContainer.require(containers, "unpause")
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        try EachContainer.run(containers) { (ref) throws(BoxError) in try lifecycle.unpause(try lifecycle.store.resolve(ref)) }
    }
}
