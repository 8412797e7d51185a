#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxRuntime

/// `box rm`: remove containers.
struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers")

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Force the removal of a running container (uses SIGKILL)")
    var force = false
    @Flag(name: [.customShort("v"), .customLong("volumes")], help: "Remove anonymous volumes associated with the container")
    var volumes = false
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        guard !containers.isEmpty else { throw BoxError(.invalidArgument, "\"box rm\" requires at least 1 argument") }
        let ctx = Context()
        let store = try ctx.containers()
        let lifecycle = Lifecycle(store: store, cgroups: ctx.cgroups())
        var failure: BoxError?
        for ref in containers {
            do throws(BoxError) {
                let r = try store.resolve(ref)
                if r.state.status.isActive {
                    guard force else {
                        let why = r.state.status == .paused ? "container is paused and must be unpaused first"
                            : "container is \(r.state.status.rawValue): stop the container before removing or force remove"
                        throw BoxError(.conflict, "cannot remove container \"\(ref)\": \(why)")
                    }
                    // the kill path of `box kill`: SIGKILL through a pidfd, then the exit recorded by the parent
                    try lifecycle.killForRemoval(r)
                }
                try? ctx.cgroups().remove(r.settings.cgroupPath)
                // -v: the anonymous volumes go too, unless another container uses them; named ones always stay
                try Containers.remove(r, store: store, anonymousVolumes: volumes)
                Output.out(ref + "\n")
            } catch {
                // each name is tried; the first failure sets the exit code, as Docker does
                Output.error(error.message)
                failure = failure ?? error
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }

}
