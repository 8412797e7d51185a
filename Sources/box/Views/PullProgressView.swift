#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxOCI

/// Docker's pull output: on a terminal one line per layer, redrawn with a bar, bytes and speed; otherwise
/// one plain line per step.
final class PullProgressView: PullProgress, @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private let tty: Bool
    private let fd: Int32
    private var order: [Digest] = []
    private var lines: [Digest: String] = [:]
    private var started: [Digest: Int64] = [:]
    private var drawn = 0
    private var lastDraw: Int64 = 0

    /// Lines printed once the manifest is known (Docker's `latest: Pulling from …`), so that a pull that
    /// fails before that prints only its error.
    private var header: String?

    init(fd: Int32, header: String) {
        self.fd = fd
        self.header = header
        self.tty = isatty(fd) == 1
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    func event(_ event: PullEvent) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        switch event {
        case .layers(let layers):
            if let header {
                Output.write(fd, header)
                self.header = nil
            }
            order = layers.map(\.digest)
            for l in layers { set(l.digest, l.present ? "Already exists" : "Pulling fs layer", force: true) }
        case .downloading(let d, let done, let total):
            if done == 0 { started[d] = PullProgressView.nowMs() }
            if tty {
                set(d, "Downloading " + bar(done, total) + "  " + rate(d, done), force: done == 0)
            }
        case .verifying(let d):
            set(d, "Verifying Checksum", force: false)
        case .extracting(let d):
            set(d, "Download complete", force: true)
        case .layerDone(let d):
            if lines[d] != "Already exists" { set(d, "Pull complete", force: true) }
        }
    }

    /// Draws the final state of every line.
    func finish() {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if tty { draw() }
    }

    private func set(_ d: Digest, _ text: String, force: Bool) {
        if lines[d] == text { return }
        lines[d] = text
        if !tty {
            // plain output: only the named steps, never the moving bar
            Output.write(fd, "\(d.hex.prefix(12)): \(text)\n")
            return
        }
        let now = PullProgressView.nowMs()
        if force || now - lastDraw >= 100 {
            lastDraw = now
            draw()
        }
    }

    private func draw() {
        var s = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        for d in order { s += "\r\u{1B}[2K\(d.hex.prefix(12)): \(lines[d] ?? "")\n" }
        drawn = order.count
        Output.write(fd, s)
    }

    private func bar(_ done: Int64, _ total: Int64) -> String {
        let width = 40
        let filled = total > 0 ? Int(min(Int64(width), done * Int64(width) / total)) : 0
        let arrow = filled < width && filled > 0 ? ">" : ""
        let body = String(repeating: "=", count: max(0, filled - arrow.count)) + arrow
        return "[" + body + String(repeating: " ", count: width - body.count) + "]  "
            + "\(Humanize.size(done))/\(Humanize.size(total))"
    }

    private func rate(_ d: Digest, _ done: Int64) -> String {
        let ms = PullProgressView.nowMs() - (started[d] ?? PullProgressView.nowMs())
        guard ms > 0 else { return "" }
        return Humanize.size(done * 1000 / ms) + "/s"
    }

    static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
