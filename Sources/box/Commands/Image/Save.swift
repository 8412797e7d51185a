import ArgumentParser
import BoxCore
import BoxImage

/// `box save`: write images to a tar archive, on stdout or into a file that appears only when complete.
struct Save: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save", abstract: "Save one or more images to a tar archive (streamed to STDOUT by default)")

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write to a file, instead of STDOUT")
    var output: String?
    @Option(name: .customLong("format"), help: "Archive format: docker-archive or oci-archive")
    var format = ArchiveFormat.dockerArchive.rawValue
    @Flag(name: [.customShort("m"), .customLong("multi-image-archive")],
          help: "Accepted for podman: every archive box writes can hold several images")
    var multiImageArchive = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress the output (box prints none)")
    var quiet = false
    @Argument(help: "IMAGE...")
    var images: [String] = []

    func run() throws {
        guard !images.isEmpty else { throw BoxError(.invalidArgument, "\"box save\" requires at least 1 argument") }
        guard let format = ArchiveFormat(rawValue: format) else {
            throw BoxError(.invalidArgument, "unknown format \"\(format)\": use docker-archive or oci-archive")
        }
        let out = try ArchiveOutput(path: output, failure: "failed to save image")
        let store = try Context().images()
        let items = try store.saveItems(images)
        try store.save(items, format: format, to: try ArchiveWriter(fd: out.fd, name: out.name))
        try out.commit()
    }
}
