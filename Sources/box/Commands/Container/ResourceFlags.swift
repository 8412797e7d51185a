import ArgumentParser
import BoxCore
import BoxRuntime

/// The resources flags of `run` and `create`.
struct ResourceFlags: ParsableArguments {
    /// Checks the values and puts them into `o`.
    func apply(to o: inout RunOptions) throws(BoxError) {
    }
}
