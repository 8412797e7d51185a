import BoxCore
import BoxOCI

extension SpecBuilder {
    /// Puts the security options into the spec.
    static func applySecurity(_ o: SecurityOptions, to spec: inout RuntimeSpec) throws(BoxError) {
    }
}
