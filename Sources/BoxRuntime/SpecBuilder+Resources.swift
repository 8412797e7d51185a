import BoxCore
import BoxOCI

extension SpecBuilder {
    /// Puts the resources options into the spec.
    static func applyResources(_ o: ResourceOptions, to spec: inout RuntimeSpec) throws(BoxError) {
    }
}
