#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxImage

/// `box image prune`: remove dangling images, or with `-a` every image no container uses.
struct ImagePrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images")

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Remove all unused images, not just dangling ones")
    var all = false
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Do not prompt for confirmation")
    var force = false
    @Option(name: .customLong("filter"), help: "Provide filter values: until=<timestamp>, label=<key>[=<value>], label!=<key>[=<value>]")
    var filter: [String] = []

    func run() throws {
        let filters = try ImageFilter(filter, allowed: ImageFilter.pruneKeys, now: Time.nowSeconds())
        if !force {
            let warning = all
                ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images."
            Output.out(warning + "\nAre you sure you want to continue? [y/N] ")
            // Docker ends quietly, with success, when the answer is not yes
            guard ["y", "yes"].contains(Self.readLine().lowercased()) else { return }
        }
        let ctx = Context()
        let usedBy = try ctx.containerUsing(try ctx.containers())
        let report = try ctx.images().prune(all: all, filter: filters, usedBy: usedBy)
        var out = ""
        if !report.items.isEmpty {
            out += "Deleted Images:\n"
            for item in report.items {
                switch item {
                case .untagged(let name): out += "untagged: \(name)\n"
                case .deleted(let id): out += "deleted: \(id)\n"
                }
            }
            out += "\n"
        }
        Output.out(out + "Total reclaimed space: \(Humanize.size(report.reclaimed, digits: 4))\n")
    }

    /// One line of stdin without its spaces; empty at end of input.
    static func readLine() -> String {
        var bytes: [UInt8] = []
        var c: UInt8 = 0
        while true {
            let n = read(0, &c, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || c == UInt8(ascii: "\n") { break }
            bytes.append(c)
        }
        return String(String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace })
    }
}
