import ArgumentParser
import BoxCore
import BoxRuntime

/// The security flags of `run` and `create`.
struct SecurityFlags: ParsableArguments {
    /// Checks the values and puts them into `o`.
    func apply(to o: inout RunOptions) throws(BoxError) {
    }
}
