#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// A plain POSIX thread running one closure; `join()` waits for it. box uses threads only where work
/// blocks in C (downloads, unpacking), never between fork and exec.
public final class Worker: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    /// Starts `body` on a new thread.
    public init(_ body: @escaping () -> Void) throws(BoxError) {
        self.body = body
        let ctx = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { ctx in
            let w = Unmanaged<Worker>.fromOpaque(ctx!).takeRetainedValue()
            w.body()
            return nil
        }, ctx)
        if rc != 0 {
            Unmanaged<Worker>.fromOpaque(ctx).release()
            throw BoxError.sys("start a thread", errno: rc)
        }
    }

    /// Waits for the thread to end.
    public func join() {
        pthread_join(thread, nil)
    }

    /// Runs `body(i)` for every `i` in `0..<count` on at most `width` threads; returns the first error
    /// (by index) after all have finished.
    public static func forEach(_ count: Int, width: Int, _ body: @escaping (Int) throws(BoxError) -> Void) throws(BoxError) {
        if count == 0 { return }
        let state = SharedQueue(count: count)
        var workers: [Worker] = []
        for _ in 0..<max(1, min(width, count)) {
            workers.append(try Worker {
                while let i = state.take() {
                    do throws(BoxError) { try body(i) } catch { state.fail(i, error) }
                }
            })
        }
        for w in workers { w.join() }
        if let e = state.firstError { throw e }
    }
}

/// The next index to work on, and the errors so far; guarded by a mutex.
final class SharedQueue: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var next = 0
    private let count: Int
    private var errors: [(Int, BoxError)] = []

    init(count: Int) {
        self.count = count
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    /// The next index, or nil when done or after a failure.
    func take() -> Int? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        guard next < count, errors.isEmpty else { return nil }
        next += 1
        return next - 1
    }

    func fail(_ i: Int, _ e: BoxError) {
        pthread_mutex_lock(&lock)
        errors.append((i, e))
        pthread_mutex_unlock(&lock)
    }

    var firstError: BoxError? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return errors.min { $0.0 < $1.0 }?.1
    }
}
