import BoxCore
import BoxOCI

extension SpecBuilder {
    /// Puts the isolation options into the spec.
    static func applyIsolation(_ o: IsolationOptions, to spec: inout RuntimeSpec) throws(BoxError) {
    }
}
