import ArgumentParser
import BoxCore
import BoxRuntime

/// `box rename CONTAINER NEW_NAME`.
struct Rename: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a container")

    @Argument(help: "CONTAINER NEW_NAME")
    var names: [String] = []

    func run() throws {
        guard names.count == 2 else {
            throw BoxError(.invalidArgument, "\"box rename\" requires exactly 2 arguments: box rename CONTAINER NEW_NAME")
        }
        let old = names[0].trimmingCharacters(), new = names[1].trimmingCharacters()
        guard !old.isEmpty, !new.isEmpty else { throw BoxError(.invalidArgument, "neither old nor new names may be empty") }
        let ctx = Context()
        let lifecycle = Lifecycle(store: try ctx.containers(), cgroups: ctx.cgroups())
        try lifecycle.rename(try lifecycle.store.resolve(old), to: new)
    }
}

private extension String {
    /// Without leading and trailing spaces (Go's `strings.TrimSpace`, as Docker applies to both names).
    func trimmingCharacters() -> String {
        let isSpace = { (c: Character) in c == " " || c == "\t" || c == "\n" || c == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
