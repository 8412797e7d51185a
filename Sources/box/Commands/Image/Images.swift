import ArgumentParser
import BoxCore
import BoxImage

/// `box images`: list images, newest first, one row per name.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images")

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Show all images (default hides intermediate images)")
    var all = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only show image IDs")
    var quiet = false
    @Flag(name: .customLong("digests"), help: "Show digests")
    var digests = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false
    @Option(name: [.customShort("f"), .customLong("filter")],
            help: "Filter output based on conditions provided: reference, dangling, label, before, since, until")
    var filter: [String] = []
    @Option(name: .customLong("format"), help: "Format output using a Go template, 'table …' or 'json'")
    var format: String?
    @Argument(help: "[REPOSITORY[:TAG]]")
    var repository: String?

    func run() throws {
        // the argument is one more reference filter, as in Docker
        let args = filter + (repository.map { ["reference=\($0)"] } ?? [])
        let filters = try ImageFilter(args, allowed: ImageFilter.listKeys, now: Time.nowSeconds())
        let images = try Context().images().list(filter: filters)
        // Docker: -q only replaces the default table; --digests adds a column to a table that lacks one
        let table = digests ? ImageRow.tableWithDigest : ImageRow.table
        var format = format
        let trimmed = (format ?? "").trimmedSpaces
        if quiet && (trimmed.isEmpty || trimmed == "table") {
            format = "{{.ID}}"
        } else if digests, let f = format, trimmed.hasPrefix("table"), trimmed != "table", !f.contains("{{.Digest}}") {
            format = f + "\t{{.Digest}}"
        }
        let withDigests = digests || (format ?? "").contains("{{.Digest}}")
        let rows = images.flatMap { ImageRow.rows($0, noTrunc: noTrunc, digests: withDigests) }
        Output.out(try Format.list(rows, format: format, table: table, headers: ImageRow.headers))
    }
}

extension String {
    /// Without leading and trailing spaces.
    fileprivate var trimmedSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
