import BoxCore
import BoxOCI

extension SpecBuilder {
    /// Puts the resources options into the spec: the cgroup limits, and Docker's default device rules
    /// (``RuntimeSpec/DeviceRule/dockerDefaults``) as the base that `--device` appends to and `--privileged`
    /// replaces with ``RuntimeSpec/DeviceRule/allowAll``.
    static func applyResources(_ o: ResourceOptions, to spec: inout RuntimeSpec) throws(BoxError) {
        var r = o.spec
        r.devices = RuntimeSpec.DeviceRule.dockerDefaults
        spec.linux.resources = r
    }
}
