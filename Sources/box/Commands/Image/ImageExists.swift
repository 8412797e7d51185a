import ArgumentParser
import BoxCore

/// `box image exists` (podman's): exit 0 if the image is in the store, 1 if not, without output.
struct ImageExists: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exists", abstract: "Check if an image exists in local storage")

    @Argument(help: "IMAGE")
    var image: String

    func run() throws {
        do throws(BoxError) {
            _ = try Context().images().resolve(image)
        } catch where error.code == .notFound {
            throw ContainerExit(code: 1)
        }
    }
}
