import ArgumentParser
import BoxCore
import BoxRuntime
import BoxVolume

/// `box volume ls`: `DRIVER    VOLUME NAME`, by name.
struct VolumeLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes", aliases: ["list"])

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only display volume names")
    var quiet = false
    @Option(name: .customLong("format"), help: "Format output using a Go template, 'table …' or 'json'")
    var format: String?
    @Option(name: [.customShort("f"), .customLong("filter")], help: "Provide filter values: name=, label=, dangling=true|false, driver=")
    var filter: [String] = []

    func run() throws {
        let f = try VolumeFilter(filter, allowed: VolumeFilter.listKeys)
        let ctx = Context()
        let used = f.dangling == nil ? [:] : try ctx.volumeUsers()
        let rows = try ctx.volumes().list().filter { f.matches($0, used: !(used[$0.Name] ?? []).isEmpty) }.map(VolumeRow.init)
        var format = format
        let trimmed = (format ?? "").filter { $0 != " " }
        if quiet && (trimmed.isEmpty || trimmed == "table") { format = "{{.Name}}" }
        Output.out(try Format.list(rows, format: format, table: VolumeRow.table, headers: VolumeRow.headers))
    }
}
