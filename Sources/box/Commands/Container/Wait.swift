import ArgumentParser
import BoxCore
import BoxRuntime

/// `box wait CONTAINER…`: block until each container stops, then print its exit code.
struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until one or more containers stop, then print their exit codes")

    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        try EachContainer.require(containers, "wait")
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        var failure: BoxError?
        for ref in containers {
            do throws(BoxError) {
                let code = try lifecycle.wait(try lifecycle.store.resolve(ref))
                Output.out("\(code)\n")
            } catch {
                Output.error(error.message)
                failure = failure ?? error
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }
}
