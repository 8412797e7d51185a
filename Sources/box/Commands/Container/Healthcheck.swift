import ArgumentParser
import BoxCore
import BoxRuntime

/// `box healthcheck run CONTAINER`: podman's command to run a container's health check now.
struct HealthcheckGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "healthcheck", abstract: "Manage health checks on containers",
                                                    subcommands: [HealthcheckRun.self])
}

/// Runs the check once and records it: exit 0 when it passed, 1 (printing `unhealthy`) when it failed.
struct HealthcheckRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the health check of a container")

    @Argument(help: "CONTAINER")
    var container: String

    func run() throws {
        let ctx = Context()
        let (result, _) = try HealthChecker(store: try ctx.containers(), cgroups: ctx.cgroups()).run(container)
        if result.exitCode != 0 {
            Output.out("unhealthy\n")
            throw ContainerExit(code: 1)
        }
    }
}
