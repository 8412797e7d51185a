import ArgumentParser
import BoxCore
import BoxRuntime
import BoxVolume

/// `box volume inspect NAME…`: Docker's JSON array, or the template once per volume.
struct VolumeInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more volumes")

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format output using a Go template or 'json'")
    var format: String?
    @Argument(help: "VOLUME...")
    var names: [String] = []

    func run() throws {
        guard !names.isEmpty else { throw BoxError(.invalidArgument, "\"box volume inspect\" requires at least 1 argument") }
        let store = try Context().volumes()
        var found: [VolumeInspect] = []
        var missing: BoxError?
        for n in names {
            do throws(BoxError) {
                found.append(VolumeInspect(try store.get(n)))
            } catch {
                missing = missing ?? error
            }
        }
        Output.out(try Format.inspect(found, format: format))
        if let missing { throw missing }
    }
}

