import ArgumentParser
import BoxCore
import BoxRuntime
import BoxVolume

/// `box volume create [OPTIONS] [VOLUME]`: prints the volume's name.
struct VolumeCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume")

    @Option(name: [.customShort("d"), .customLong("driver")], help: "Specify volume driver name")
    var driver = "local"
    @Option(name: .customLong("label"), help: "Set metadata for a volume")
    var label: [String] = []
    @Option(name: [.customShort("o"), .customLong("opt")], help: "Set driver specific options (local: type, device, o)")
    var opt: [String] = []
    @Argument(help: "VOLUME")
    var name: String?

    func run() throws {
        guard driver == "local" else {
            throw BoxError(.notFound, "create \(name ?? ""): error looking up volume plugin \(driver): plugin \"\(driver)\" not found")
        }
        // Docker marks a volume created without a name as anonymous
        let (v, _) = try Context().volumes().create(name, labels: keyValues(label), options: keyValues(opt), anonymous: name == nil)
        Output.out(v.Name + "\n")
    }
}
