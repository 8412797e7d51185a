import ArgumentParser
import BoxCore

/// `box history`: the steps that made an image, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image")

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only show image IDs")
    var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false
    @Option(name: .customLong("format"), help: "Format output using a Go template, 'table …' or 'json'")
    var format: String?
    /// The image, with Docker's `-H`/`--human` in Go's boolean flag forms (`-H`, `--human=false`), which
    /// ArgumentParser does not parse.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("-H, --human[=true|false] IMAGE: print sizes and dates in human readable format (default true)", valueName: "IMAGE"))
    var words: [String] = []

    func run() throws {
        var human = true
        var image: [String] = []
        for w in words {
            switch w {
            case "-H", "--human": human = true
            case "-H=true", "--human=true": human = true
            case "-H=false", "--human=false": human = false
            default:
                if w.hasPrefix("-") && w != "-" { throw BoxError(.invalidArgument, "unknown flag: \(w)") }
                image.append(w)
            }
        }
        guard image.count == 1 else { throw BoxError(.invalidArgument, "\"box history\" requires exactly 1 argument") }
        let store = try Context().images()
        let img = try store.resolve(image[0])
        let rows = HistoryRow.rows(img, history: try store.config(of: img).history ?? [], noTrunc: noTrunc, human: human)
        // Docker: -q only replaces the default table
        let f = (format ?? "").split(separator: " ").joined()
        let format = quiet && (f.isEmpty || f == "table") ? "{{.ID}}" : format
        Output.out(try Format.list(rows, format: format, table: human ? HistoryRow.table : HistoryRow.tableNotHuman,
                                   headers: HistoryRow.headers))
    }
}
