import ArgumentParser
import BoxCore
import BoxFormat
import BoxRuntime

/// `box top CONTAINER [ps OPTIONS]`: the container's processes, as the host's `ps` shows them.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes of a container")

    @Argument(parsing: .captureForPassthrough, help: "CONTAINER [ps OPTIONS]")
    var arguments: [String] = []

    func run() throws {
        if arguments.first == "--help" || arguments.first == "-h" { throw CleanExit.helpRequest(self) }
        guard let ref = arguments.first else { throw BoxError(.invalidArgument, "\"box top\" requires at least 1 argument") }
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        let table = try lifecycle.top(try lifecycle.store.resolve(ref), psArgs: Array(arguments.dropFirst()))
        // Docker's tabwriter for top: minimum width 20, padding 3
        let text = ([table.titles] + table.rows).map { $0.joined(separator: "\t") + "\n" }.joined()
        Output.out(tabwrite(text, minWidth: 20, padding: 3))
    }
}
