import ArgumentParser
import BoxCore
import BoxRuntime
import BoxVolume

/// `box volume rm [-f] NAME…`: refused for a volume any container uses, even with `-f` (as Docker).
struct VolumeRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more volumes", aliases: ["remove"])

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Do not fail on volumes that do not exist")
    var force = false
    @Argument(help: "VOLUME...")
    var names: [String] = []

    func run() throws {
        guard !names.isEmpty else { throw BoxError(.invalidArgument, "\"box volume rm\" requires at least 1 argument") }
        let ctx = Context()
        let store = try ctx.containers()
        var failure: BoxError?
        for (name, result) in try ctx.volumes().remove(names, force: force, users: { () throws(BoxError) in try Containers.volumeUsers(store) }) {
            switch result {
            case .success: Output.out(name + "\n")
            case .failure(let e):
                Output.error(e.message)
                failure = failure ?? e
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }
}
