#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOCI
import BoxRegistry

/// `box push`: upload an image to a registry.
struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Upload an image to a registry")

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress verbose output")
    var quiet = false
    @OptionGroup var registry: RegistryFlags
    @Argument(help: "IMAGE")
    var image: String
    @Argument(help: "DESTINATION (default: IMAGE's own name)")
    var destination: String?

    func run() throws {
        let store = try Context().images()
        let record = try store.resolve(image)
        let dest = try RegistryFlags.reference(destination ?? image, config: try RegistriesConfig.load())
        if destination == nil && !record.names.contains(dest.description) {
            throw BoxError(.invalidArgument, "push \(image): an image ID has no repository to push to: name a destination")
        }
        let client = try registry.client(host: dest.domain, repository: dest.path)
        if !quiet { Output.out("The push refers to repository [\(dest.repository)]\n") }
        let quiet = self.quiet
        let result = try store.push(record, to: dest, client: client) { digest, outcome, from in
            guard !quiet else { return }
            let text = outcome == .mounted ? "Mounted from \(from ?? "")" : outcome.rawValue
            Output.out("\(digest.hex.prefix(12)): \(text)\n")
        }
        if !quiet {
            Output.out("\(dest.tag ?? "latest"): digest: \(result.digest) size: \(result.size)\n")
        }
    }
}
