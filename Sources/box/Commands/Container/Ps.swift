import ArgumentParser
import BoxCore

/// `box ps`: list containers.
struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers")

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Show all containers (default shows just running)")
    var all = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only display container IDs")
    var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false
    @Option(name: .customLong("format"), help: "Format output using a Go template, 'table …' or 'json'")
    var format: String?

    func run() throws {
        let store = try Context().containers()
        let list = try store.list().filter { all || $0.state.status.isActive }
        if quiet {
            Output.out(list.map { (noTrunc ? $0.id : $0.shortID) + "\n" }.joined())
            return
        }
        let rows = list.map { PsRow($0, truncate: !noTrunc) }
        Output.out(try Format.list(rows, format: format, table: PsRow.table, headers: PsRow.headers))
    }
}
