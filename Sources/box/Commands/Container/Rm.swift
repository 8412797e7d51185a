#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime
import CBox

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
        var failure: BoxError?
        for ref in containers {
            do throws(BoxError) {
                let r = try store.resolve(ref)
                if r.state.status == .running {
                    guard force else {
                        throw BoxError(.conflict, "cannot remove container \"\(ref)\": container is running: stop the container before removing or force remove")
                    }
                    try kill(r)
                }
                try? ctx.cgroups().remove(r.settings.cgroupPath)
                try store.delete(r.id)
                Output.out(ref + "\n")
            } catch {
                // each name is tried; the first failure sets the exit code, as Docker does
                Output.error(error.message)
                failure = failure ?? error
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }

    /// Kills a running container and waits until its process is gone.
    private func kill(_ r: ContainerRecord) throws(BoxError) {
        let fd = box_pidfd_open(r.state.pid)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // the pidfd names the process we recorded only if its start time still matches
        guard BoxOS.ProcessInfo.isAlive(r.state.pid, startTime: r.state.pidStartTime) else { return }
        box_pidfd_send_signal(fd, SIGKILL)
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, 10_000)
    }
}
