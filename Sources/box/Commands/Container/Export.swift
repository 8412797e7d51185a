import ArgumentParser
import BoxCore
import BoxImage
import BoxRuntime

/// `box export`: a container's filesystem as a tar, on stdout or into a file that appears only when complete.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a container's filesystem as a tar archive")

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write to a file, instead of STDOUT")
    var output: String?
    @Argument(help: "CONTAINER")
    var containers: [String] = []

    func run() throws {
        guard containers.count == 1 else { throw BoxError(.invalidArgument, "\"box export\" requires exactly 1 argument") }
        let out = try ArchiveOutput(path: output, failure: "failed to export container")
        let store = try Context().containers()
        let record = try store.resolve(containers[0])
        try FilesystemExport(container: record, store: store).write(to: try ArchiveWriter(fd: out.fd, name: out.name))
        try out.commit()
    }
}
