#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxImage
import BoxOCI

/// `box load`: load images from a `docker save` or OCI archive, from a file or stdin.
struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load an image from a tar archive or STDIN")

    @Option(name: [.customShort("i"), .customLong("input")], help: "Read from tar archive file, instead of STDIN")
    var input: String?
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress the load output")
    var quiet = false

    func run() throws {
        let store = try Context().images()
        let source: ArchiveSource
        if let input {
            guard Files.exists(input) else { throw BoxError(.notFound, "open \(input): no such file or directory") }
            source = .path(input)
        } else {
            if isatty(0) != 0 { throw BoxError(.invalidArgument, "requested load from stdin, but stdin is empty") }
            source = .fd(0, name: "stdin")
        }
        let loaded = try store.load(source).map { try store.resolve($0.id.description) }
        if quiet { return }
        var lines = ""
        for img in loaded {
            let names = img.names.compactMap { try? Reference(parsing: $0).familiar }
            if names.isEmpty { lines += "Loaded image ID: \(img.id)\n" }
            for n in names { lines += "Loaded image: \(n)\n" }
        }
        Output.out(lines)
    }
}
