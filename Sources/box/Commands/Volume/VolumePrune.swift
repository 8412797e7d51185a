import ArgumentParser
import BoxCore
import BoxRuntime
import BoxVolume

/// `box volume prune [-a] [-f] [--filter …]`: unused anonymous volumes, or with `-a` all unused ones (Docker 23+).
struct VolumePrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused local volumes")

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Remove all unused volumes, not just anonymous ones")
    var all = false
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Do not prompt for confirmation")
    var force = false
    @Option(name: .customLong("filter"), help: "Provide filter values: label=<key>[=<value>], label!=…, all=true")
    var filter: [String] = []

    func run() throws {
        let f = try VolumeFilter(filter, allowed: VolumeFilter.pruneKeys)
        if all && f.all != nil { throw BoxError(.invalidArgument, "conflicting options: cannot specify both --all and --filter all=1") }
        if !force {
            let which = all || f.all == true ? "all local volumes" : "anonymous local volumes"
            Output.out("WARNING! This will remove \(which) not used by at least one container.\nAre you sure you want to continue? [y/N] ")
            // as `image prune`: ends quietly, with success, when the answer is not yes
            guard ["y", "yes"].contains(ImagePrune.readLine().lowercased()) else { return }
        }
        let ctx = Context()
        let store = try ctx.containers()
        let removed = try ctx.volumes().prune(all: all, filter: f, users: { () throws(BoxError) in try Containers.volumeUsers(store) })
        var out = ""
        if !removed.isEmpty { out = "Deleted Volumes:\n" + removed.map { $0.0 + "\n" }.joined() + "\n" }
        Output.out(out + "Total reclaimed space: \(Humanize.size(removed.reduce(0) { $0 + $1.1 }))\n")
    }
}
