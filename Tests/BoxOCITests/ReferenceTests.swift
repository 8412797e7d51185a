import BoxCore
@testable import BoxOCI
import Testing

@Suite struct ReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("localhost:5000/a/b:c", "localhost:5000/a/b:c", "localhost:5000/a/b:c"),
        ("quay.io/podman/stable", "quay.io/podman/stable:latest", "quay.io/podman/stable:latest"),
        ("index.docker.io/library/alpine", "docker.io/library/alpine:latest", "alpine:latest"),
    ])
    func normalizes(input: String, full: String, familiar: String) throws {
        let r = try Reference(parsing: input)
        #expect(r.description == full)
        #expect(r.familiar == familiar)
    }

    @Test func digestReference() throws {
        let hex = String(repeating: "ab", count: 32)
        let r = try Reference(parsing: "alpine@sha256:\(hex)")
        #expect(r.tag == nil)
        #expect(r.digest?.hex == hex)
        #expect(r.description == "docker.io/library/alpine@sha256:\(hex)")
    }

    @Test(arguments: ["", "upper/CASE", "a:b:c", "bad tag:x y", "x@sha256:short", "x@md5:abcd", "a//b", "-lead", "x:"])
    func rejects(input: String) {
        #expect(throws: BoxError.self) { try Reference(parsing: input) }
    }
}

@Suite struct DigestTests {
    @Test func sha256OfKnownInput() {
        #expect(Digest.of(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.of([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func incrementalEqualsWhole() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var h = SHA256Hasher()
        h.update(Array(data[0..<12345]))
        h.update(Array(data[12345...]))
        #expect(h.finish() == Digest.of(data))
    }

    @Test(arguments: ["sha256:" + String(repeating: "A", count: 64), "sha256:abc", "sha512:" + String(repeating: "a", count: 64), "abc"])
    func rejectsBadDigests(s: String) {
        #expect(throws: BoxError.self) { try Digest(parsing: s) }
    }

    @Test func decodesFromJSON() throws {
        let hex = String(repeating: "0", count: 64)
        let d = try JSON.decode(Descriptor.self, from: Array("{\"mediaType\":\"x\",\"digest\":\"sha256:\(hex)\",\"size\":3}".utf8), what: "t")
        #expect(d.digest.hex == hex)
        #expect(throws: BoxError.self) {
            try JSON.decode(Descriptor.self, from: Array("{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":3}".utf8), what: "t")
        }
    }
}
