import ArgumentParser
import BoxCore
import BoxImage

/// `box import`: make a one-layer image of a rootfs tarball from a file, a URL or stdin.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import the contents from a tarball to create a filesystem image")

    @Option(name: [.customShort("c"), .customLong("change")], help: "Apply a Dockerfile instruction to the created image")
    var change: [String] = []
    @Option(name: [.customShort("m"), .customLong("message")], help: "Set the commit message for the imported image")
    var message: String?
    @Option(name: .customLong("platform"), help: "Set the platform of the image (os/arch[/variant]; default the host's)")
    var platform: String?
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Accepted for podman: box prints only the image ID")
    var quiet = false
    @Argument(help: "FILE|URL|- [REPOSITORY[:TAG]]")
    var arguments: [String] = []

    func run() throws {
        guard (1...2).contains(arguments.count) else {
            throw BoxError(.invalidArgument, "\"box import\" requires at least 1 and at most 2 arguments")
        }
        var options = ImportOptions()
        options.changes = change
        options.message = message
        options.platform = try ImportOptions.platform(platform)
        options.reference = arguments.count == 2 ? arguments[1] : nil
        let image = try Context().images().importRootfs(ImportSource(arguments[0]), options: options)
        Output.out("\(image.id)\n")
    }
}
