#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime

/// `box create [OPTIONS] IMAGE [COMMAND] [ARG…]`: make a container without starting it; prints its ID.
struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new container")

    @OptionGroup var flags: CreateFlags
    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits")
    var rm = false
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]")
    var imageAndCommand: [String] = []

    func run() throws {
        guard let image = imageAndCommand.first else {
            throw BoxError(.invalidArgument, "\"box create\" requires at least 1 argument: box create [OPTIONS] IMAGE [COMMAND] [ARG...]")
        }
        var options = try flags.options(command: Array(imageAndCommand.dropFirst()))
        options.autoRemove = rm
        let ctx = Context()
        let images = try ctx.images()
        let store = try ctx.containers()
        if let cid = flags.cidfile, Files.exists(cid) {
            throw BoxError(.alreadyExists, "container ID file found, make sure the other container isn't running or delete \(cid)")
        }
        try Puller.ensure(image, policy: flags.pull, flags: flags.registry, platform: flags.platform, store: images)
        let record = try Containers.create(imageRef: image, options: options, images: images, store: store, cgroups: ctx.cgroups())
        if let cid = flags.cidfile {
            do { try Files.writeAtomic(cid, Array(record.id.utf8)) } catch {
                try? Containers.remove(record, store: store, anonymousVolumes: true)
                throw error
            }
        }
        Output.out(record.id + "\n")
    }
}
