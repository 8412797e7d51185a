import BoxCore
import BoxOCI
import Testing

/// The image config's JSON as Docker writes it: its field names, and fields left out when unset.
struct ImageSpecTests {
    @Test func shellIsDockersFieldAndLeftOutWhenUnset() throws {
        let docker = #"{"Cmd":["x"],"Shell":["/bin/bash","-o","pipefail","-c"]}"#
        let c = try JSON.decode(ContainerConfig.self, from: Array(docker.utf8), what: "config")
        #expect(c.Shell == ["/bin/bash", "-o", "pipefail", "-c"])
        let again = try JSON.decode(ContainerConfig.self, from: try JSON.encode(c), what: "config")
        #expect(again == c)
        let unset = String(decoding: try JSON.encode(ContainerConfig()), as: UTF8.self)
        #expect(unset == "{}")
    }
}
