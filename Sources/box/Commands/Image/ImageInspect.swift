import ArgumentParser
import BoxCore
import BoxImage

/// `box image inspect`: images as Docker's JSON, or through a template.
struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images")

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format output using a Go template or 'json'")
    var format: String?
    @Argument(help: "IMAGE...")
    var images: [String] = []

    /// Prints the images found, then one error line for each that is not; as Docker, a missing image
    /// makes the exit code 1 (box's own failures, such as a malformed reference, still make it 125).
    func run() throws {
        guard !images.isEmpty else { throw BoxError(.invalidArgument, "\"box image inspect\" requires at least 1 argument") }
        let store = try Context().images()
        var found: [ImageInspect] = []
        var errors: [BoxError] = []
        for ref in images {
            let img: ImageRecord
            do throws(BoxError) {
                img = try store.resolve(ref)
            } catch where error.code == .notFound {
                errors.append(BoxError(.notFound, "No such image: \(ref)"))
                continue
            } catch {
                errors.append(error)
                continue
            }
            found.append(try ImageInspect(img, store: store))
        }
        Output.out(try Format.inspect(found, format: format))
        for e in errors { Output.error(e.message) }
        if !errors.isEmpty { throw ContainerExit(code: errors.allSatisfy { $0.code == .notFound } ? 1 : 125) }
    }
}
