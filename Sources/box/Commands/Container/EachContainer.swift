import BoxCore
import BoxOS

/// Docker's pattern for commands on several containers: each name is tried, printed when it succeeds, its
/// error printed when it fails; the first failure sets the exit code.
enum EachContainer {
    /// Runs `body` for every reference in order.
    static func run(_ refs: [String], _ body: (String) throws(BoxError) -> Void) throws {
        var failure: BoxError?
        for ref in refs {
            do throws(BoxError) {
                try body(ref)
                Output.out(ref + "\n")
            } catch {
                Output.error(error.message)
                failure = failure ?? error
            }
        }
        if let failure { throw ContainerExit(code: failure.exitCode) }
    }

    /// As `run`, with the bodies running at the same time (a `stop` of many waits once, not once each);
    /// the names and errors are printed in order when all have finished.
    static func parallel(_ refs: [String], _ body: @escaping (String) throws(BoxError) -> Void) throws {
        let results = UnsafeMutableBufferPointer<BoxError?>.allocate(capacity: refs.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        // each worker writes only its own slot
        try Worker.forEach(refs.count, width: 32) { (i) throws(BoxError) in
            do throws(BoxError) { try body(refs[i]) } catch { results[i] = error }
        }
        var index = 0
        try run(refs) { (_) throws(BoxError) in
            defer { index += 1 }
            if let e = results[index] { throw e }
        }
    }

    /// Checks that at least one container was named: Docker's `"box CMD" requires at least 1 argument.`
    static func require(_ refs: [String], _ command: String) throws(BoxError) {
        guard !refs.isEmpty else { throw BoxError(.invalidArgument, "\"box \(command)\" requires at least 1 argument") }
    }
}
