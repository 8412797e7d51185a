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

/// `box image …`: the image commands under one name.
struct ImageGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images",
        subcommands: [ImageInspectCommand.self, Images.self, Load.self, Rmi.self, Tag.self],
        aliases: [])
}

/// `box container …`: the container commands under one name.
struct ContainerGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers",
        subcommands: [Run.self, Ps.self, Rm.self, Inspect.self])
}
