import BoxRuntime

/// The security part of `inspect`'s `HostConfig`: capabilities, `--privileged`, `--security-opt`.
struct SecurityHostConfig: Encodable {
    var CapAdd: [String]?
    var CapDrop: [String]?
    var Privileged = false

    init(_ r: ContainerRecord) {
        let st = r.settings
        CapAdd = st.capAdd.isEmpty ? nil : st.capAdd
        CapDrop = st.capDrop.isEmpty ? nil : st.capDrop
    }
}
