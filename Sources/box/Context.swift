import BoxCgroups
import BoxCore
import BoxImage
import BoxOCI
import BoxRuntime

/// The stores of this invocation, opened on first use (so `box version` touches nothing).
struct Context {
    let paths: BoxPaths

    init() {
        paths = BoxPaths.resolve(root: nil, runRoot: nil)
    }

    func images() throws(BoxError) -> ImageStore { try ImageStore(paths: paths) }
    func containers() throws(BoxError) -> ContainerStore { try ContainerStore(paths: paths) }
    func cgroups() -> any CgroupBackend { Cgroups.detect() }

    /// Which container uses an image, for `rmi`.
    func containerUsing(_ store: ContainerStore) throws(BoxError) -> (Digest) -> String? {
        let all = try store.list()
        return { id in all.first { $0.imageID == id }?.shortID }
    }
}
