import BoxRuntime

/// The security part of `inspect`'s `HostConfig`: capabilities, `--privileged`, `--security-opt`, and the masked
/// and read-only paths (null for a privileged container, empty with `systempaths=unconfined`), as Docker shows them.
struct SecurityHostConfig: Encodable {
    var CapAdd: [String]?
    var CapDrop: [String]?
    var Privileged = false
    var SecurityOpt: [String]?
    var MaskedPaths: [String]?
    var ReadonlyPaths: [String]?

    init(_ r: ContainerRecord) {
        let st = r.settings
        let sec = st.security ?? SecurityOptions()
        CapAdd = st.capAdd.isEmpty ? nil : st.capAdd
        CapDrop = st.capDrop.isEmpty ? nil : st.capDrop
        Privileged = sec.privileged
        SecurityOpt = sec.securityOpt.isEmpty ? nil : sec.securityOpt
        if !sec.privileged {
            MaskedPaths = r.spec.linux.maskedPaths
            ReadonlyPaths = r.spec.linux.readonlyPaths
        }
    }

    enum CodingKeys: String, CodingKey { case CapAdd, CapDrop, Privileged, SecurityOpt, MaskedPaths, ReadonlyPaths }

    /// Docker writes `null` for the lists it has not set.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(CapAdd, forKey: .CapAdd)
        try c.encode(CapDrop, forKey: .CapDrop)
        try c.encode(Privileged, forKey: .Privileged)
        try c.encode(SecurityOpt, forKey: .SecurityOpt)
        try c.encode(MaskedPaths, forKey: .MaskedPaths)
        try c.encode(ReadonlyPaths, forKey: .ReadonlyPaths)
    }
}
