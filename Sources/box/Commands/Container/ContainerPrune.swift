import ArgumentParser
import BoxCore
import BoxImage
import BoxRuntime

/// `box container prune`: remove every stopped container.
struct ContainerPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers")

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Do not prompt for confirmation")
    var force = false
    @Option(name: .customLong("filter"), help: "Provide filter values: until=<timestamp>, label=<key>[=<value>], label!=<key>[=<value>]")
    var filter: [String] = []

    func run() throws {
        let filters = try ImageFilter(filter, allowed: ImageFilter.pruneKeys, now: Time.nowSeconds())
        if !force {
            Output.out("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ")
            // Docker ends quietly, with success, when the answer is not yes
            guard ["y", "yes"].contains(ImagePrune.readLine().lowercased()) else { return }
        }
        let ctx = Context()
        let report = try Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups()).prune(filter: filters)
        var out = ""
        if !report.deleted.isEmpty {
            out += "Deleted Containers:\n" + report.deleted.map { $0 + "\n" }.joined() + "\n"
        }
        Output.out(out + "Total reclaimed space: \(Humanize.size(report.reclaimed, digits: 4))\n")
    }
}
