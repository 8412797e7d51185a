import Testing
@testable import BoxRegistry

@Suite struct ChallengeTests {
    @Test func bearerWithQuotedScope() {
        let c = Challenge.parse(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#)
        #expect(c == [Challenge(scheme: "bearer", parameters: [
            "realm": "https://auth.docker.io/token", "service": "registry.docker.io",
            "scope": "repository:library/busybox:pull,push"])])
    }

    @Test func basicThenBearer() {
        let c = Challenge.parse(#"Basic realm="x y", Bearer realm=http://h/token,service=reg"#)
        #expect(c.map(\.scheme) == ["basic", "bearer"])
        #expect(c[0].realm == "x y")
        #expect(c[1].parameters["service"] == "reg")
    }

    @Test func escapesAndEmpty() {
        #expect(Challenge.parse("") == [])
        #expect(Challenge.parse(#"Basic realm="a\"b""#).first?.realm == #"a"b"#)
    }
}
