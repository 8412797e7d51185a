import ArgumentParser
import BoxCore

/// `box tag`: give an image another name.
struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")

    @Argument(help: "SOURCE_IMAGE[:TAG]")
    var source: String
    @Argument(help: "TARGET_IMAGE[:TAG]")
    var target: String

    func run() throws {
        try Context().images().tag(source, target)
    }
}
