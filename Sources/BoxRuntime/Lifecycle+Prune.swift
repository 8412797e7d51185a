import BoxCore
import BoxImage
import BoxOS

// `container prune`: every container that is not running, with Docker's `until` and `label` filters.

/// What `container prune` removed: full IDs, and the bytes their writable layers held.
public struct ContainerPruneReport: Sendable, Equatable {
    public var deleted: [String] = []
    public var reclaimed: Int64 = 0

    public init() {}
}

extension Lifecycle {
    /// Removes every created or exited container that passes `filter` (`until`, `label`, `label!`).
    public func prune(filter: ImageFilter) throws(BoxError) -> ContainerPruneReport {
        var report = ContainerPruneReport()
        for r in try store.list() where r.state.status == .created || r.state.status == .exited {
            if let until = filter.until, let t = Time.parse(r.created), t > until { continue }
            if !filter.labels.isEmpty || !filter.notLabels.isEmpty, !filter.matches(labels: r.settings.labels) { continue }
            // a monitor still finishing (its logs, its record) keeps its container
            if r.state.monitorPid != 0 && ProcessInfo.isAlive(r.state.monitorPid, startTime: r.state.monitorStartTime) { continue }
            let size = Tree.size(store.dir(r.id) + "/upper")
            try? cgroups.remove(r.settings.cgroupPath)
            guard (try? store.delete(r.id)) != nil else { continue }
            report.deleted.append(r.id)
            report.reclaimed += size
        }
        return report
    }
}
