import ArgumentParser
import BoxCore
import BoxOCI

/// `box images`: list images.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images")

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Show all images")
    var all = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only show image IDs")
    var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false
    @Option(name: .customLong("format"), help: "Format output using a Go template, 'table …' or 'json'")
    var format: String?
    @Argument(help: "[REPOSITORY[:TAG]]")
    var repository: String?

    func run() throws {
        var images = try Context().images().list().reversed().map { $0 }
        if let repository {
            images = images.filter { img in
                img.names.contains { n in
                    guard let r = try? BoxOCI.Reference(parsing: n) else { return false }
                    return r.familiarRepository == repository || r.familiar == repository || r.description == repository
                }
            }
        }
        if quiet {
            var seen = Set<String>()
            let ids = images.map { noTrunc ? $0.id.description : $0.shortID }.filter { seen.insert($0).inserted }
            Output.out(ids.map { $0 + "\n" }.joined())
            return
        }
        let rows = images.flatMap { ImageRow.rows($0, noTrunc: noTrunc) }
        Output.out(try Format.list(rows, format: format, table: ImageRow.table, headers: ImageRow.headers))
    }
}
