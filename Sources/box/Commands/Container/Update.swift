import ArgumentParser
import BoxCgroups
import BoxCore
import BoxRuntime

/// `box update [OPTIONS] CONTAINER…`: new limits or restart policy for containers, running or not.
struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Update configuration of one or more containers",
        discussion: "A running container's cgroup is changed at once; a stopped one's limits apply at its next start.")

    @OptionGroup var resources: ResourceFlags
    @Option(name: .customLong("restart"), help: "Restart policy to apply when a container exits")
    var restart: String?
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        try EachContainer.require(containers, "update")
        if resources.isEmpty && restart == nil {
            throw BoxError(.invalidArgument, "you must provide one or more flags when using this command")
        }
        let change = ContainerUpdate(resources: try resources.values(),
                                     restartPolicy: try restart.map { (s) throws(BoxError) in try RestartPolicy.parse(s) })
        let ctx = Context()
        let store = try ctx.containers()
        let cgroups = ctx.cgroups()
        let host = ResourceOptions.Host.current(cgroups)
        var warnings: [String] = []
        try EachContainer.run(containers) { (ref) throws(BoxError) in
            warnings += try Containers.update(try store.resolve(ref), change, host: host, store: store, cgroups: cgroups)
        }
        for w in warnings { Output.write(2, "WARNING: \(w)\n") }
    }
}
