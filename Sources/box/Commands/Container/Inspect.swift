import ArgumentParser
import BoxCore
import BoxFormat
import BoxImage

/// `box inspect`: low-level information on containers or images, as Docker's JSON.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on containers or images")

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format output using a Go template or 'json'")
    var format: String?
    @Option(name: .customLong("type"), help: "Only inspect objects of the given type: container or image")
    var type: String?
    @Argument(help: "NAME|ID...")
    var objects: [String] = []

    func run() throws {
        guard !objects.isEmpty else { throw BoxError(.invalidArgument, "\"box inspect\" requires at least 1 argument") }
        if let type, type != "container", type != "image" { throw BoxError(.invalidArgument, "\"\(type)\" is not a valid value for --type") }
        let ctx = Context()
        var values: [TemplateValue] = []
        var missing: String?
        for ref in objects {
            if type != "image", let c = try? ctx.containers().resolve(ref) {
                values.append(try TemplateValue(encoding: ContainerInspect(c, paths: ctx.paths)))
            } else if type != "container", let store = try? ctx.images(), let img = try? store.resolve(ref) {
                values.append(try TemplateValue(encoding: try ImageInspect(img, store: store)))
            } else {
                missing = missing ?? ref
            }
        }
        Output.out(try Format.inspect(values, format: format))
        if let missing {
            Output.error("no such object: \(missing)")
            throw ContainerExit(code: 125)
        }
    }
}
