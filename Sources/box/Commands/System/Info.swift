#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOCI

/// `box info`: what this host and store are, in podman's shape (`{{.Store.GraphRoot}}`, `{{.Host.OCIRuntime.Name}}`).
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Display box related system information")

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format output using a Go template or 'json'")
    var format: String?

    struct Report: Encodable {
        struct Host: Encodable {
            struct OCIRuntime: Encodable {
                var name = "box"
                var package = "box"
                var path: String
                var version: String
            }

            var arch: String
            var os = "linux"
            var kernel: String
            var hostname: String
            var cgroupVersion: String
            var cgroupManager = "cgroupfs"
            var cpus: Int
            var ociRuntime: OCIRuntime
            var security: [String: String]
        }

        struct Store: Encodable {
            struct Count: Encodable { var number: Int }
            struct Containers: Encodable {
                var number: Int
                var running: Int
                var stopped: Int
                var paused = 0
            }

            var graphRoot: String
            var runRoot: String
            var graphDriverName = "overlay"
            var imageStore: Count
            var containerStore: Containers
        }

        struct Version: Encodable {
            var Version: String
            var OsArch: String
        }

        var host: Host
        var store: Store
        var version: Version
    }

    func run() throws {
        let ctx = Context()
        let containers = try ctx.containers().list()
        let images = try ctx.images().list()
        var u = utsname()
        uname(&u)
        func field<T>(_ v: T) -> String { withUnsafeBytes(of: v) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        let arch = Platform.host.architecture
        let exe = (try? readLink("/proc/self/exe")) ?? "box"
        let running = containers.filter { $0.state.status == .running }.count
        let report = Report(
            host: .init(arch: arch, kernel: field(u.release), hostname: field(u.nodename), cgroupVersion: ctx.cgroups().version,
                        cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                        ociRuntime: .init(path: exe, version: "box version \(Box.version)"),
                        security: ["rootless": geteuid() == 0 ? "false" : "true", "seccompEnabled": "true"]),
            store: .init(graphRoot: ctx.paths.root, runRoot: ctx.paths.runRoot, imageStore: .init(number: images.count),
                         containerStore: .init(number: containers.count, running: running, stopped: containers.count - running)),
            version: .init(Version: Box.version, OsArch: "linux/\(arch)"))
        if let format, format != "json" {
            Output.out(try Format.inspect([report], format: format))
        } else {
            Output.out(String(decoding: try JSON.encode(report, pretty: true), as: UTF8.self) + "\n")
        }
    }

    private func readLink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { throw BoxError.sys("readlink", path, errno: errno) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
