#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime

/// `box stats [OPTIONS] [CONTAINER…]`: CPU, memory, network, block I/O and pids of containers, from their
/// cgroups, redrawn every second (or once with `--no-stream`).
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Display a live stream of container(s) resource usage statistics",
        discussion: """
            --format takes table, json, a Go template, or prometheus (the Prometheus text format, for scraping). \
            On a terminal each sample replaces the last; otherwise each is printed after the previous one.
            """)

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Show all containers (default shows just running)")
    var all = false
    @Flag(name: .customLong("no-stream"), help: "Disable streaming stats and only pull the first result")
    var noStream = false
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate output")
    var noTrunc = false
    @Option(name: .customLong("format"), help: "Format output using a custom template: table, json, prometheus or a Go template")
    var format: String?
    @Argument(help: "CONTAINER...")
    var containers: [String] = []

    /// Seconds between samples: Docker's collector interval.
    static let interval: UInt32 = 1_000_000

    func run() throws {
        let output = try StatsFormat(format)
        let ctx = Context()
        let store = try ctx.containers()
        let reader = StatsReader(cgroups: ctx.cgroups())
        // named containers must exist now; each sample reads them again (a removed one drops out)
        let named = try containers.map { (ref) throws(BoxError) in (ref, try store.resolve(ref).id) }
        func targets() throws(BoxError) -> [(label: String, record: ContainerRecord)] {
            if named.isEmpty {
                return try store.list().filter { all || $0.state.status == .running || $0.state.status == .paused }.map { ($0.id, $0) }
            }
            return named.compactMap { ref, id in (try? store.resolve(id)).map { (ref, $0) } }
        }
        let redraw = !noStream && Terminal.isTTY(1)
        var previous: [String: StatsSample] = [:]
        for t in try targets() { previous[t.record.id] = reader.sample(t.record) }
        while true {
            usleep(Self.interval)
            let list = try targets()
            var next: [String: StatsSample] = [:]
            var usage: [ContainerUsage] = []
            for t in list {
                let s = reader.sample(t.record)
                usage.append(reader.usage(s, previous: previous[t.record.id]))
                next[t.record.id] = s
            }
            previous = next
            let block = try output.render(usage, containers: list.map(\.label), truncate: !noTrunc)
            // a terminal is cleared and redrawn, as Docker does; a pipe gets one block after another
            Output.out((redraw ? "\u{1b}[2J\u{1b}[H" : "") + block)
            if noStream { return }
            if !named.isEmpty && !usage.contains(where: \.running) { return }
        }
    }
}
