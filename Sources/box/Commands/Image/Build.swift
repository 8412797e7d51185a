#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxBuild
import BoxCore
import BoxImage
import BoxOCI
import BoxOS
import CBox

/// `box build [OPTIONS] CONTEXT|-`: an image from a Dockerfile (see docs/build.md).
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build an image from a Dockerfile",
        discussion: "CONTEXT is a directory, or - for a tar archive (or a Dockerfile alone) on stdin.")

    @Option(name: [.customShort("t"), .customLong("tag")], help: "Name and optionally a tag in the 'name:tag' format")
    var tag: [String] = []
    @Option(name: [.customShort("f"), .customLong("file")], help: "Name of the Dockerfile (default: CONTEXT/Dockerfile or CONTEXT/Containerfile; - for stdin)")
    var file: String?
    @Option(name: .customLong("build-arg"), help: "Set build-time variables (KEY=VALUE, or KEY to pass the caller's)")
    var buildArg: [String] = []
    @Option(name: .customLong("target"), help: "Set the target build stage to build")
    var target: String?
    @Flag(name: .customLong("no-cache"), help: "Do not use the layer cache when building the image")
    var noCache = false
    @Flag(name: .customLong("pull"), help: "Always attempt to pull a newer version of the base images")
    var pull = false
    @Option(name: .customLong("label"), help: "Set metadata for an image (KEY=VALUE)")
    var label: [String] = []
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress the build output and print the image ID on success")
    var quiet = false
    @Option(name: .customLong("iidfile"), help: "Write the image ID to the file")
    var iidfile: String?
    @Option(name: .customLong("network"), help: "Networking mode for the RUN instructions: host (default) or none")
    var network = "host"
    @Option(name: .customLong("platform"), help: "Set the platform (the host's only)")
    var platform: String?
    @Flag(name: .customLong("rm"), help: "Accepted: build containers are always removed")
    var rm = false
    @Flag(name: .customLong("force-rm"), help: "Accepted: build containers are always removed")
    var forceRm = false
    @OptionGroup var registry: RegistryFlags
    @Argument(help: "CONTEXT|-")
    var context: String?

    func run() throws {
        guard let context else { throw BoxError(.invalidArgument, "\"box build\" requires exactly 1 argument: box build [OPTIONS] CONTEXT|-") }
        // everything that can be refused is refused before anything is made
        for t in tag {
            let r = try Reference(parsing: t)
            if r.digest != nil { throw BoxError(.invalidArgument, "invalid reference format: tag \(t) has a digest") }
        }
        var args: [String: String] = [:]
        let env = Environment.current
        for a in buildArg {
            let kv = a.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard !kv[0].isEmpty, !kv[0].contains(where: { $0 == " " || $0 == "\t" }) else {
                throw BoxError(.invalidArgument, "invalid build arg \"\(a)\": use KEY=VALUE")
            }
            if kv.count == 2 { args[kv[0]] = kv[1] } else if let v = env[kv[0]] { args[kv[0]] = v }
        }
        var labels: [String: String] = [:]
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard !kv[0].isEmpty else { throw BoxError(.invalidArgument, "invalid label \"\(l)\": use KEY=VALUE") }
            labels[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        guard network == "host" || network == "none" || network == "default" else {
            throw BoxError(.invalidArgument, "network \"\(network)\" is not available for builds: use host or none")
        }
        if let p = platform, p != Platform.host.description, p != "linux/\(Platform.host.architecture)" {
            throw BoxError(.invalidArgument, "platform \(p) is not this host's (\(Platform.host.description)): box builds for the host only")
        }
        let ctx = Context()
        let images = try ctx.images()
        let containers = try ctx.containers()
        let scratch = images.paths.tmp + "/build-\(getpid())-ctx"
        defer { try? Tree.remove(scratch) }
        let (dir, dockerfile, name, path) = try prepare(context, scratch: scratch)
        var o = BuildOptions(contextDir: dir, dockerfile: dockerfile)
        o.dockerfileName = name
        o.dockerfilePath = path
        o.tags = tag
        o.buildArgs = args
        o.target = target
        o.noCache = noCache
        o.pull = pull
        o.labels = labels
        o.quiet = quiet
        o.network = network == "default" ? "host" : network
        // SIGINT, SIGTERM and SIGHUP go to a running step, and stop the build between steps
        var sigs: [Int32] = [SIGINT, SIGTERM, SIGHUP]
        let sfd = box_signalfd(&sigs, Int32(sigs.count))
        let registry = registry
        let quiet = quiet
        let builder = try Builder(options: o, images: images, containers: containers, cgroups: ctx.cgroups(), signalFD: sfd) {
            (ref, always) throws(BoxError) in
            // progress of a pull goes to stderr, so stdout keeps the build's lines
            if always {
                _ = try Puller.pull(ref, flags: registry, platform: nil, quiet: quiet, store: images, to: 2)
            } else {
                try Puller.ensure(ref, policy: "missing", flags: registry, platform: nil, store: images)
            }
        }
        let rec: ImageRecord
        do throws(BuildFailure) {
            rec = try builder.build()
        } catch {
            Output.error(error.message)
            throw ContainerExit(code: error.exitCode)
        }
        if let iidfile { try Files.writeAtomic(iidfile, Array(rec.id.description.utf8)) }
        Output.out(rec.id.hex + "\n")
    }

    /// The context directory and the Dockerfile's text, name and path. A `-` context is a tar on stdin
    /// (extracted into `scratch`) or, when stdin is not a tar, the Dockerfile itself with an empty context.
    func prepare(_ context: String, scratch: String) throws(BoxError) -> (String, String, String, String?) {
        var dir = context
        var stdinDockerfile: [UInt8]?
        if context == "-" {
            if file == "-" { throw BoxError(.invalidArgument, "invalid argument: can't use stdin for both build context and dockerfile") }
            try Files.mkdirAll(scratch + "/context", mode: 0o755)
            let input = try Files.readAll(fd: 0, name: "stdin")
            try Files.write(scratch + "/stdin", input, mode: 0o600)
            dir = scratch + "/context"
            if Build.isTar(input) {
                let fd = try check("open", scratch + "/stdin") { open(scratch + "/stdin", O_RDONLY | O_CLOEXEC) }
                defer { close(fd) }
                let dfd = try check("open", dir) { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
                defer { close(dfd) }
                try CopyExtractor(owner: .keep, atomicFiles: false, display: "context").extract(fd: fd, name: "stdin", into: dfd)
            } else {
                stdinDockerfile = input
            }
        } else if !Files.isDirectory(context) {
            throw BoxError(.notFound, "unable to prepare context: path \"\(context)\" not found")
        }
        if let bytes = stdinDockerfile { return (dir, String(decoding: bytes, as: UTF8.self), "Dockerfile", nil) }
        if file == "-" { return (dir, String(decoding: try Files.readAll(fd: 0, name: "stdin"), as: UTF8.self), "Dockerfile", nil) }
        var path: String
        if let f = file {
            path = f
            // a relative -f is found in the context when it is not in the current directory (as podman does)
            if !f.hasPrefix("/") && !Files.exists(f) && Files.exists(dir + "/" + f) { path = dir + "/" + f }
            guard Files.exists(path) else { throw BoxError(.notFound, "the specified Containerfile or Dockerfile does not exist, \(f): no such file or directory") }
        } else {
            guard let found = ["Containerfile", "Dockerfile"].map({ dir + "/" + $0 }).first(where: Files.exists) else {
                throw BoxError(.notFound, "no Containerfile or Dockerfile specified or found in context directory, \(dir)")
            }
            path = found
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return (dir, String(decoding: try Files.read(path), as: UTF8.self), name, path)
    }

    /// A tar (ustar magic) or a compressed stream (gzip, bzip2, xz, zstd).
    static func isTar(_ b: [UInt8]) -> Bool {
        if b.count >= 262 && Array(b[257..<262]) == Array("ustar".utf8) { return true }
        if b.count >= 2 && b[0] == 0x1f && b[1] == 0x8b { return true }
        if b.count >= 3 && b[0] == 0x42 && b[1] == 0x5a && b[2] == 0x68 { return true }
        if b.count >= 6 && Array(b[0..<6]) == [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] { return true }
        if b.count >= 4 && Array(b[0..<4]) == [0x28, 0xb5, 0x2f, 0xfd] { return true }
        return false
    }
}
