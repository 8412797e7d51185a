import ArgumentParser
import BoxCore
import BoxImage
import BoxRuntime

/// `box commit`: make an image of a container's changes, as `docker commit` does.
struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "Create a new image from a container's changes")

    @Option(name: [.customShort("c"), .customLong("change")], help: "Apply Dockerfile instruction to the created image")
    var change: [String] = []
    @Option(name: [.customShort("m"), .customLong("message")], help: "Commit message")
    var message: String?
    @Option(name: [.customShort("a"), .customLong("author")], help: "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")")
    var author: String?
    @Option(name: [.customShort("f"), .customLong("format")], help: "Format of the image manifest and metadata: oci or docker (default oci)")
    var format: String?
    /// The container and name, with Docker's `-p`/`--pause` in Go's boolean flag forms (`--pause=false`), and
    /// `--no-pause`, which ArgumentParser does not parse.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
        "-p, --pause[=true|false] (pause container during commit, default true), --no-pause; CONTAINER [REPOSITORY[:TAG]]",
        valueName: "CONTAINER"))
    var words: [String] = []

    func run() throws {
        var pause = true
        var positional: [String] = []
        for w in words {
            switch w {
            case "-p", "--pause", "-p=true", "--pause=true": pause = true
            case "-p=false", "--pause=false", "--no-pause": pause = false
            default:
                if w.hasPrefix("-") { throw BoxError(.invalidArgument, "unknown flag: \(w)") }
                positional.append(w)
            }
        }
        guard (1...2).contains(positional.count) else {
            throw BoxError(.invalidArgument, "\"box commit\" requires at least 1 and at most 2 arguments")
        }
        var options = CommitOptions()
        options.changes = change
        options.message = message
        options.author = author
        options.reference = positional.count == 2 ? positional[1] : nil
        if let format { options.format = try ManifestFormat(parsing: format) }
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        let image = try ContainerCommit(lifecycle: lifecycle, images: try ctx.images()).commit(positional[0], options: options, pause: pause)
        Output.out("\(image.id)\n")
    }
}
