import ArgumentParser
import BoxCore

/// `box rmi`: remove images.
struct Rmi: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove one or more images")

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Force removal of the image")
    var force = false
    @Argument(help: "IMAGE...")
    var images: [String] = []

    func run() throws {
        guard !images.isEmpty else { throw BoxError(.invalidArgument, "\"box rmi\" requires at least 1 argument") }
        let ctx = Context()
        let store = try ctx.images()
        let usedBy = try ctx.containerUsing(try ctx.containers())
        var failure: BoxError?
        for ref in images {
            do throws(BoxError) {
                Output.out(try store.remove(ref, force: force, usedBy: usedBy).map { $0 + "\n" }.joined())
            } catch {
                Output.error(error.message)
                failure = failure ?? error
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }
}
