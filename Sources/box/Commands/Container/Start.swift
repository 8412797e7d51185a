#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime

/// `box start [-a] [-i] CONTAINER…`: start created or exited containers under a monitor.
struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers")

    @Flag(name: [.customShort("a"), .customLong("attach")], help: "Attach STDOUT/STDERR and forward signals")
    var attach = false
    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Attach container's STDIN")
    var interactive = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container")
    var detachKeys = AttachClient.defaultKeys
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    func run() throws {
        guard !containers.isEmpty else { throw BoxError(.invalidArgument, "\"box start\" requires at least 1 argument") }
        if (attach || interactive) && containers.count > 1 {
            throw BoxError(.invalidArgument, "you cannot start and attach multiple containers at once")
        }
        let keys = try AttachClient.parseKeys(detachKeys)
        let ctx = Context()
        let store = try ctx.containers()
        if attach || interactive {
            let r = try store.resolve(containers[0])
            let stdin = interactive && r.settings.interactive
            if r.state.status == .running || r.state.status == .paused {
                let sock = try Monitor.connect(id: r.id, store: store)
                throw ContainerExit(code: try AttachClient.attach(sock, tty: r.settings.tty, stdin: stdin, keys: keys) ?? 0)
            }
            throw ContainerExit(code: try AttachClient.runAttached(r, paths: ctx.paths, stdin: stdin, keys: keys, removeOnFailure: false))
        }
        var failure: BoxError?
        for ref in containers {
            do throws(BoxError) {
                let r = try store.resolve(ref)
                if r.state.status != .running && r.state.status != .paused {
                    _ = try Monitor.spawn(id: r.id, paths: ctx.paths, removeOnFailure: false)
                }
                Output.out(ref + "\n")
            } catch {
                Output.error(error.message)
                failure = failure ?? error
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }
}
