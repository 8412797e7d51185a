import BoxCore
import BoxOS

// `pause` and `unpause`: the cgroup freezer, and the record's `paused` status.

extension Lifecycle {
    /// Freezes every process of a running container and records it `paused`.
    public func pause(_ r: ContainerRecord) throws(BoxError) {
        // under the container's lock, so a concurrent unpause or exit sees the record and the freezer agree;
        // a freeze takes milliseconds (bounded by the backend's timeout)
        try store.update(r.id) { (c) throws(BoxError) in
            switch c.state.status {
            case .paused: throw BoxError(.conflict, "container \(c.id) is already paused")
            case .restarting: throw Lifecycle.restarting(c)
            case .running: break
            case .created, .exited: throw Lifecycle.notRunning(c)
            }
            guard ProcessInfo.isAlive(c.state.pid, startTime: c.state.pidStartTime) else { throw Lifecycle.notRunning(c) }
            do throws(BoxError) {
                try cgroups.freeze(c.settings.cgroupPath)
            } catch {
                throw BoxError(error.code, "cannot pause container \(c.id): \(error.message)")
            }
            c.state.status = .paused
        }
    }

    /// Thaws a paused container and records it `running` again.
    public func unpause(_ r: ContainerRecord) throws(BoxError) {
        try store.update(r.id) { (c) throws(BoxError) in
            guard c.state.status == .paused else { throw BoxError(.conflict, "container \(c.id) is not paused") }
            guard ProcessInfo.isAlive(c.state.pid, startTime: c.state.pidStartTime) else { throw Lifecycle.notRunning(c) }
            do throws(BoxError) {
                try cgroups.thaw(c.settings.cgroupPath)
            } catch {
                throw BoxError(error.code, "cannot unpause container \(c.id): \(error.message)")
            }
            c.state.status = .running
        }
    }

    /// Docker's error for a container between restarts.
    static func restarting(_ r: ContainerRecord) -> BoxError {
        BoxError(.conflict, "container \(r.id) is restarting, wait until the container is running")
    }
}
