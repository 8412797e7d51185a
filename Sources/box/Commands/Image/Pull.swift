#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOCI

/// `box pull`: fetch an image from a registry.
struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Download an image from a registry")

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print only the image ID")
    var quiet = false
    @Option(name: .customLong("platform"), help: "Pull the image for this platform (os/arch[/variant]; default the host's)")
    var platform: String?
    @OptionGroup var registry: RegistryFlags
    @Argument(help: "NAME[:TAG|@DIGEST]")
    var name: String

    func run() throws {
        let store = try Context().images()
        let result = try Puller.pull(name, flags: registry, platform: try Platform.parse(platform), quiet: quiet, store: store)
        if quiet { Output.out(result.image.id.hex + "\n") }
    }
}
