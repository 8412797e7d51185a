#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxRuntime

/// `box cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-` and `box cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`.
struct Cp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy files/folders between a container and the local filesystem",
        discussion: """
        Use '-' as the source to read a tar archive from stdin and extract it to a directory destination in a \
        container. Use '-' as the destination to stream a tar archive of a container source to stdout. The \
        container may be running or stopped; its volumes and bind mounts are seen as it sees them, and every path \
        in it is resolved inside it (docs/cp.md).
        """)

    @Flag(name: [.customShort("a"), .customLong("archive")], help: "Archive mode (copy all uid/gid information)")
    var archive = false
    @Flag(name: [.customShort("L"), .customLong("follow-link")], help: "Always follow symbol link in SRC_PATH")
    var followLink = false
    @Flag(name: [.customShort("q"), .customLong("quiet")],
          help: "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached")
    var quiet = false
    @Argument(help: "SRC_PATH DEST_PATH")
    var paths: [String] = []

    func run() throws {
        guard paths.count == 2 else { throw BoxError(.invalidArgument, "\"box cp\" requires exactly 2 arguments") }
        guard !paths[0].isEmpty else { throw BoxError(.invalidArgument, "source can not be empty") }
        guard !paths[1].isEmpty else { throw BoxError(.invalidArgument, "destination can not be empty") }
        let (srcContainer, srcPath) = CopyPath.splitArgument(paths[0])
        let (dstContainer, dstPath) = CopyPath.splitArgument(paths[1])
        if srcContainer != nil && dstContainer != nil { throw BoxError(.invalidArgument, "copying between containers is not supported") }
        guard let ref = srcContainer ?? dstContainer else { throw BoxError(.invalidArgument, "must specify at least one container source") }

        let store = try Context().containers()
        let record = try store.resolve(ref)
        let copy = ContainerCopy(store: store, followLink: followLink, archive: archive)
        if srcContainer != nil {
            if dstPath == "-" { return try copy.copyOut(record, ref: ref, path: srcPath, toFD: 1) }
            let bytes = try copy.copyOut(record, ref: ref, path: srcPath, to: dstPath)
            report(bytes, to: dstPath)
        } else if srcPath == "-" {
            try copy.copyIn(fromFD: 0, to: record, ref: ref, path: dstPath)
        } else {
            let bytes = try copy.copyIn(from: srcPath, to: record, ref: ref, path: dstPath)
            report(bytes, to: "\(ref):\(dstPath)")
        }
    }

    /// Docker's last progress line, on a terminal only.
    private func report(_ bytes: Int64, to dest: String) {
        guard !quiet, isatty(2) != 0 else { return }
        Output.write(2, "Successfully copied \(Humanize.size(bytes)) to \(dest)\n")
    }
}
