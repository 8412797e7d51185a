import ArgumentParser
import BoxCore
import BoxRuntime
import BoxVolume

/// `box volume exists NAME` (podman's): exit 0 if the volume exists, 1 if not, without output.
struct VolumeExists: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exists", abstract: "Check if a volume exists")

    @Argument(help: "VOLUME")
    var name: String

    func run() throws {
        do throws(BoxError) {
            _ = try Context().volumes().get(name)
        } catch where error.code == .notFound {
            throw ContainerExit(code: 1)
        }
    }
}
