#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxOS

/// Acting on a container from outside its parent: `stop`, `kill`, `wait`, `pause`, `unpause`, `top`, `rename`
/// and `container prune`.
///
/// The container's parent (a foreground `box run`, or the monitor of a detached one) reaps it and records its
/// exit. These commands signal it through a pidfd, then wait for that record; they take the container's lock
/// only for short updates, never while they wait, so `ps`, `inspect` and `logs` are never held up.
public struct Lifecycle: Sendable {
    public let store: ContainerStore
    public let cgroups: any CgroupBackend
    /// Seconds to wait for the parent to record an exit before recording it here (the parent was killed).
    public var recordTimeout: Double = 5

    public init(store: ContainerStore, cgroups: any CgroupBackend) {
        self.store = store
        self.cgroups = cgroups
    }

    /// Docker's default for `stop` without `-t` or `--stop-timeout`.
    public static let defaultStopTimeout = 10

    /// `box stop`: the stop signal (`signal`, else the container's), then SIGKILL after `timeout` seconds
    /// (else its `--stop-timeout`, else 10; negative waits for ever). Returns once the exit is recorded.
    /// A container that is not running is left as it is, as Docker does.
    public func stop(_ r: ContainerRecord, signal: Int32? = nil, timeout: Int? = nil) throws(BoxError) {
        guard r.state.status.isActive else { return }
        let sig: Int32
        if let signal { sig = signal } else { sig = try Signals.stopSignal(of: r) }
        let seconds = timeout ?? r.settings.stopTimeout ?? Lifecycle.defaultStopTimeout
        // the restart policy must not bring it back: marked before it is signalled
        let current = try markStopped(r.id)
        guard current.state.status.isActive else { return }
        if let process = ProcessHandle(pid: current.state.pid, startTime: current.state.pidStartTime) {
            try process.signal(sig)
            // a frozen process takes the signal only when thawed
            resume(current)
            if !process.wait(timeout: seconds < 0 ? nil : Double(seconds)) {
                try process.signal(SIGKILL)
                _ = process.wait(timeout: 10)
            }
        }
        awaitRecordedExit(current)
    }

    /// `box kill`: sends `signal`. With SIGKILL it returns once the exit is recorded, as Docker's kill waits.
    public func kill(_ r: ContainerRecord, signal: Int32) throws(BoxError) {
        guard r.state.status.isActive else { throw Lifecycle.notRunning(r) }
        let current = try markStopped(r.id)
        guard current.state.status.isActive else { throw Lifecycle.notRunning(r) }
        // between restarts there is no process: the mark alone ends the restarts, as in Docker
        if current.state.status == .restarting { return }
        guard let process = ProcessHandle(pid: current.state.pid, startTime: current.state.pidStartTime) else {
            // it exited on its own meanwhile
            awaitRecordedExit(current)
            return
        }
        try process.signal(signal)
        // Docker resumes a paused container for the signals that end it; others wait for `unpause`
        if signal == SIGKILL || signal == (try? Signals.stopSignal(of: current)) { resume(current) }
        if signal == SIGKILL {
            _ = process.wait(timeout: 10)
            awaitRecordedExit(current)
        }
    }

    /// `rm -f` of a running container: SIGKILL, and wait until it is gone and its exit recorded.
    public func killForRemoval(_ r: ContainerRecord) throws(BoxError) {
        guard let current = try? markStopped(r.id), current.state.status.isActive else { return }
        if let process = ProcessHandle(pid: current.state.pid, startTime: current.state.pidStartTime) {
            try process.signal(SIGKILL)
            resume(current)
            _ = process.wait(timeout: 10)
        }
        awaitRecordedExit(current)
    }

    /// `box wait`: blocks until the container is no longer running and returns its exit code. A container
    /// that was never started, or has exited (or is between restarts), answers at once.
    public func wait(_ ref: ContainerRecord) throws(BoxError) -> Int32 {
        // the stored record: a process that just died shows as exited in `resolve`'s view before its parent has
        // recorded the real exit code
        let r = stored(ref.id) ?? ref
        guard r.state.status == .running || r.state.status == .paused else { return r.state.exitCode }
        if let process = ProcessHandle(pid: r.state.pid, startTime: r.state.pidStartTime) {
            _ = process.wait(timeout: nil)
        }
        guard let recorded = recordedExit(r) else {
            throw BoxError(.notFound, "no such container: \(r.id)")
        }
        return recorded.state.exitCode
    }

    /// Sets `manuallyStopped` under the lock, briefly, and returns the record as stored.
    func markStopped(_ id: String) throws(BoxError) -> ContainerRecord {
        try store.update(id) { (c) throws(BoxError) in c.state.manuallyStopped = true }
    }

    /// The record as stored, without the liveness check `resolve` applies; nil once the container is removed.
    func stored(_ id: String) -> ContainerRecord? {
        try? JSON.read(ContainerRecord.self, from: store.recordPath(id))
    }

    /// Waits, bounded, until the parent of the process in `r` has recorded its exit (for a detached container,
    /// until its monitor has ended); if none does, the parent is gone, and the exit is recorded here.
    func awaitRecordedExit(_ r: ContainerRecord) {
        let deadline = Monotonic.now() + recordTimeout
        if r.state.monitorPid != 0, let monitor = ProcessHandle(pid: r.state.monitorPid, startTime: r.state.monitorStartTime) {
            _ = monitor.wait(timeout: recordTimeout)
        }
        _ = recordedExit(r, until: deadline)
    }

    /// Polls the stored record until the exit of `r`'s process is recorded there, or until `deadline`
    /// (nil: the record timeout from now); then records it itself if nobody did. Nil if the container was removed.
    func recordedExit(_ r: ContainerRecord, until deadline: Double? = nil) -> ContainerRecord? {
        let end = deadline ?? Monotonic.now() + recordTimeout
        while true {
            guard let c = stored(r.id) else { return nil }
            // exited, or a new process started (a restart): either way this process's end is on record
            if c.state.status == .exited || c.state.status == .created || c.state.pid != r.state.pid
                || c.state.pidStartTime != r.state.pidStartTime {
                return c
            }
            if Monotonic.now() >= end { break }
            usleep(10_000)
        }
        // nobody recorded it: the parent was killed too. Record what `resolve` shows (the reconcile path)
        let c = try? store.update(r.id) { (c) throws(BoxError) in
            guard c.state.pid == r.state.pid, c.state.pidStartTime == r.state.pidStartTime else { return }
            c = store.reconcile(c)
        }
        if c?.state.status == .exited { try? cgroups.remove(r.settings.cgroupPath) }
        return c ?? stored(r.id)
    }

    /// Thaws a paused container and records it running again; nothing if it is not paused.
    func resume(_ r: ContainerRecord) {
        guard r.state.status == .paused else { return }
        try? cgroups.thaw(r.settings.cgroupPath)
        _ = try? store.update(r.id) { (c) throws(BoxError) in
            if c.state.status == .paused { c.state.status = .running }
        }
    }

    /// Docker's error for a container that is not running: `container ID is not running`.
    static func notRunning(_ r: ContainerRecord) -> BoxError {
        BoxError(.conflict, "container \(r.id) is not running")
    }
}

extension ContainerState.Status {
    /// Whether the container has a process, or will have one again (between restarts).
    public var isActive: Bool { self == .running || self == .paused || self == .restarting }
}
