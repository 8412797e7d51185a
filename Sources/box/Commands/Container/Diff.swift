import ArgumentParser
import BoxCore
import BoxRuntime

/// `box diff`: the files a container added (`A`), changed (`C`) and deleted (`D`), as `docker diff` lists them.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Inspect changes to files or directories on a container's filesystem")

    @Option(name: .customLong("format"), help: "Change the output format: json (podman's changed/added/deleted lists)")
    var format: String?
    @Argument(help: "CONTAINER")
    var containers: [String] = []

    func run() throws {
        guard containers.count == 1 else { throw BoxError(.invalidArgument, "\"box diff\" requires exactly 1 argument") }
        if let format, format != "json" {
            throw BoxError(.invalidArgument, "unsupported format \"\(format)\": use json")
        }
        let store = try Context().containers()
        let changes = try ContainerDiff.changes(try store.resolve(containers[0]), store: store)
        guard format == "json" else {
            Output.out(changes.map { "\($0.kind.rawValue) \($0.path)\n" }.joined())
            return
        }
        // podman's `--format json`: the paths of each kind in this order, the empty kinds left out
        var fields: [String] = []
        for (key, kind) in [("changed", Change.Kind.changed), ("added", .added), ("deleted", .deleted)] {
            let paths = changes.filter { $0.kind == kind }.map { "        " + String(decoding: (try? JSON.encode($0.path)) ?? [], as: UTF8.self) }
            if !paths.isEmpty { fields.append("    \"\(key)\": [\n" + paths.joined(separator: ",\n") + "\n    ]") }
        }
        Output.out(fields.isEmpty ? "{}\n" : "{\n" + fields.joined(separator: ",\n") + "\n}\n")
    }
}
