#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime

/// `box attach CONTAINER`: connect this terminal to a running container's stdio.
struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach local standard input, output, and error streams to a running container")

    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN")
    var noStdin = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container")
    var detachKeys = AttachClient.defaultKeys
    @Option(name: .customLong("sig-proxy"), help: "Proxy all received signals to the process")
    var sigProxy = true
    @Argument(help: "CONTAINER")
    var container: String

    func run() throws {
        let keys = try AttachClient.parseKeys(detachKeys)
        let store = try Context().containers()
        let r = try store.resolve(container)
        guard r.state.status == .running || r.state.status == .paused else {
            throw BoxError(.conflict, "you cannot attach to a stopped container, start it first")
        }
        guard r.state.monitorPid != 0 else {
            throw BoxError(.conflict, "container \(container) runs in the foreground of another box command and cannot be attached")
        }
        let stdin = !noStdin && r.settings.interactive
        if r.settings.tty && stdin && !Terminal.isTTY(0) { throw BoxError(.invalidArgument, "the input device is not a TTY") }
        let sock = try Monitor.connect(id: r.id, store: store)
        guard let code = try AttachClient.attach(sock, tty: r.settings.tty, stdin: stdin, keys: keys) else { return }
        throw ContainerExit(code: code)
    }
}
