import ArgumentParser
import BoxCore
import BoxRuntime

/// The isolation flags of `run` and `create`.
struct IsolationFlags: ParsableArguments {
    /// Checks the values and puts them into `o`.
    func apply(to o: inout RunOptions) throws(BoxError) {
    }
}
