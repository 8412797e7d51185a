import BoxCore
import BoxOCI
import Synchronization
import Testing
@testable import BoxRegistry

/// A registry in memory behind the HTTPTransport seam: it answers by a handler and records every request.
final class FakeTransport: HTTPTransport {
    struct Seen: Sendable {
        var method: String
        var url: String
        var authorization: String?
    }

    let handler: @Sendable (HTTPRequest) -> (Int, [(String, String)], [UInt8])
    private let log = Mutex<[Seen]>([])

    init(_ handler: @escaping @Sendable (HTTPRequest) -> (Int, [(String, String)], [UInt8])) { self.handler = handler }

    var seen: [Seen] { log.withLock { $0 } }

    func send(_ request: HTTPRequest, options: TransportOptions,
              sink: (UnsafeRawBufferPointer) throws(BoxError) -> Void) throws(BoxError) -> (HTTPResponse, errorBody: [UInt8]) {
        let auth = request.headers.first { $0.0 == "Authorization" }?.1
        log.withLock { $0.append(Seen(method: request.method, url: request.url, authorization: auth)) }
        let (status, headers, body) = handler(request)
        if status == -1 { throw BoxError(.io, "\(request.method) \(request.url): connection refused") }
        let resp = HTTPResponse(status: status, headers: headers.map { ($0.0.lowercased(), $0.1) })
        if resp.isSuccess {
            var copy = body
            let n = copy.count
            try copy.withUnsafeMutableBufferPointer { (p) throws(BoxError) in
                try sink(UnsafeRawBufferPointer(start: p.baseAddress, count: n))
            }
            return (resp, [])
        }
        return (resp, body)
    }
}

@Suite struct RegistryClientTests {
    static let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#.utf8)

    /// A registry that wants a bearer token from its realm, handing one out for basic credentials.
    static func tokenRegistry() -> FakeTransport {
        FakeTransport { req in
            if req.url.hasPrefix("https://auth.example/token") {
                let auth = req.headers.first { $0.0 == "Authorization" }?.1
                if let auth, auth != "Basic dTpw" { return (401, [], []) }  // base64("u:p")
                return (200, [], Array(#"{"token":"T1"}"#.utf8))
            }
            let authorized = req.headers.contains { $0 == ("Authorization", "Bearer T1") }
            if !authorized {
                return (401, [("WWW-Authenticate", #"Bearer realm="https://auth.example/token",service="reg.example""#)],
                        Array(#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.utf8))
            }
            if req.url.hasSuffix("/v2/") { return (200, [], []) }
            if req.url.contains("/manifests/") {
                return (200, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")], manifest)
            }
            return (404, [], Array(#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#.utf8))
        }
    }

    @Test func bearerTokenIsFetchedOnceAndCached() throws {
        let t = Self.tokenRegistry()
        let c = RegistryClient(endpoint: Endpoint(host: "reg.example"), credentials: Credentials(username: "u", password: "p"), transport: t)
        let m1 = try c.manifest("lib/x", "latest")
        let m2 = try c.manifest("lib/x", "v2")
        #expect(m1.bytes == Self.manifest && m1.mediaType == MediaType.ociManifest && m1.digest == Digest.of(Self.manifest))
        #expect(m2.digest == m1.digest)
        let tokenCalls = t.seen.filter { $0.url.hasPrefix("https://auth.example/token") }
        #expect(tokenCalls.count == 1)
        #expect(tokenCalls[0].url == "https://auth.example/token?service=reg.example&scope=repository%3Alib%2Fx%3Apull")
        #expect(tokenCalls[0].authorization == "Basic dTpw")
        // the ping learns the challenge (401), so the first manifest request already carries the token,
        // and the second reuses it
        #expect(t.seen.map { $0.url.hasPrefix("https://auth.example") ? "token" : String($0.url.split(separator: "/").last ?? "") }
                == ["v2", "token", "latest", "v2"])
        #expect(t.seen.last?.authorization == "Bearer T1")
    }

    @Test func wrongPasswordIsOneClearError() {
        let t = Self.tokenRegistry()
        let c = RegistryClient(endpoint: Endpoint(host: "reg.example"), credentials: Credentials(username: "u", password: "bad"), transport: t)
        #expect { try c.ping() } throws: { e in
            (e as? BoxError)?.message == "authenticating to reg.example: unauthorized: incorrect username or password"
        }
    }

    @Test func registryErrorsAreNamed() {
        let t = Self.tokenRegistry()
        let c = RegistryClient(endpoint: Endpoint(host: "reg.example"), credentials: nil, transport: t)
        #expect { _ = try c.blobBytes("lib/x", Digest.of([1])) } throws: { e in
            let b = e as? BoxError
            return b?.code == .notFound && b?.message.contains("blob unknown to registry") == true
        }
    }

    @Test func basicAuthIsSentAfterChallenge() throws {
        let t = FakeTransport { req in
            let ok = req.headers.contains { $0 == ("Authorization", "Basic dTpw") }
            if !ok { return (401, [("WWW-Authenticate", #"Basic realm="r""#)], []) }
            return (200, [], [])
        }
        let c = RegistryClient(endpoint: Endpoint(host: "reg.example"), credentials: Credentials(username: "u", password: "p"), transport: t)
        try c.ping()
        #expect(t.seen.last?.authorization == "Basic dTpw")
    }

    @Test func localhostFallsBackToPlainHTTP() throws {
        let t = FakeTransport { req in req.url.hasPrefix("https://") ? (-1, [], []) : (200, [], []) }
        let local = RegistryClient(endpoint: Endpoint(host: "127.0.0.1:5000"), credentials: nil, transport: t)
        try local.ping(scope: "")
        #expect(t.seen.map(\.url) == ["https://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/v2/"])
        // a remote registry never drops to plain HTTP
        let remote = RegistryClient(endpoint: Endpoint(host: "reg.example"), credentials: nil, transport: t)
        #expect(throws: BoxError.self) { try remote.ping() }
        #expect(!t.seen.contains { $0.url == "http://reg.example/v2/" })
    }

    @Test func dockerHubUsesItsAPIHost() {
        #expect(Endpoint(host: "docker.io").apiHost == "registry-1.docker.io")
        #expect(Endpoint(host: "quay.io").apiHost == "quay.io")
        #expect(Endpoint.isLocal("localhost:5000") && Endpoint.isLocal("127.0.0.1") && Endpoint.isLocal("[::1]:5000"))
        #expect(!Endpoint.isLocal("localhost.example.com") && !Endpoint.isLocal("10.0.0.1:5000"))
    }
}
