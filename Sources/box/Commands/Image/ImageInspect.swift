import ArgumentParser
import BoxCore

/// `box image inspect`.
struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images")

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format output using a Go template or 'json'")
    var format: String?
    @Argument(help: "IMAGE...")
    var images: [String] = []

    func run() throws {
        guard !images.isEmpty else { throw BoxError(.invalidArgument, "\"box image inspect\" requires at least 1 argument") }
        let store = try Context().images()
        var out: [ImageInspect] = []
        for ref in images { out.append(try ImageInspect(try store.resolve(ref), store: store)) }
        Output.out(try Format.inspect(out, format: format))
    }
}
