#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOCI

/// `box version`.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Show the box version information")

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format output using a Go template or 'json'")
    var format: String?

    struct Info: Encodable {
        struct Client: Encodable {
            var Version: String
            var APIVersion = "1.41"
            var OsArch: String
            var Os = "linux"
            var Arch: String
        }

        var Client: Client
    }

    func run() throws {
        let platform = Platform.host
        let info = Info(Client: .init(Version: Box.version, OsArch: "linux/\(platform.architecture)", Arch: platform.architecture))
        if let format {
            Output.out(try Format.inspect([info], format: format == "json" ? "{{json .}}" : format))
            return
        }
        Output.out("""
        Version:      \(Box.version)
        API Version:  1.41
        OS/Arch:      linux/\(platform.architecture)

        """)
    }
}
