#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import Synchronization

/// Where one registry is reached: its host, the scheme that worked, and the transport options.
public struct Endpoint: Sendable, Equatable {
    /// The host as people name it (`docker.io`, `127.0.0.1:5000`).
    public var host: String
    /// The host actually contacted (`registry-1.docker.io` for Docker Hub).
    public var apiHost: String
    public var options: TransportOptions
    /// Plain HTTP may be tried when HTTPS fails: localhost registries (as Docker does), `--tls-verify=false`
    /// and registries marked insecure.
    public var allowHTTP: Bool

    public init(host: String, options: TransportOptions = TransportOptions(), insecure: Bool = false) {
        self.host = host
        self.apiHost = host == Reference.defaultDomain || host == "index.docker.io" ? "registry-1.docker.io" : host
        var options = options
        if insecure { options.verifyTLS = false }
        self.options = options
        self.allowHTTP = insecure || !options.verifyTLS || Endpoint.isLocal(host)
    }

    /// `localhost`, `127.0.0.0/8` and `[::1]`, with or without a port.
    public static func isLocal(_ host: String) -> Bool {
        var h = Substring(host)
        if h.hasPrefix("[") { return h.hasPrefix("[::1]") }
        if let colon = h.lastIndex(of: ":") { h = h[..<colon] }
        return h == "localhost" || h.hasPrefix("127.")
    }
}

/// A client of one registry's distribution API (`/v2/`): pings, token and basic auth, manifests, blobs and
/// uploads. Safe to use from several threads at once: tokens are cached per scope for the client's life.
public final class RegistryClient: Sendable {
    public let endpoint: Endpoint
    let transport: any HTTPTransport
    let credentials: Credentials?
    private let state = Mutex(State())

    struct State {
        var scheme: String?
        var challenge: Challenge?
        /// `Authorization` values by scope ("" for basic auth).
        var authorization: [String: String] = [:]
    }

    public init(endpoint: Endpoint, credentials: Credentials?, transport: any HTTPTransport = CurlTransport()) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.transport = transport
    }

    /// The accepted manifest media types, most preferred first.
    public static let manifestTypes = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest,
                                       MediaType.dockerManifest]

    // MARK: API

    /// Checks that the registry answers and, with credentials, that they are accepted (`box login`).
    public func ping(scope: String? = nil) throws(BoxError) {
        try connect()
        if credentials != nil || scope != nil {
            let (resp, body) = try fetch("GET", path: "", scope: scope ?? "")
            guard resp.isSuccess else { throw failure(resp, body, what: "log in to \(endpoint.host)") }
        }
    }

    /// A manifest or index by tag or digest: its bytes, media type and digest (computed from the bytes).
    public func manifest(_ repo: String, _ reference: String, limit: Int = 4 << 20) throws(BoxError) -> (bytes: [UInt8], mediaType: String, digest: Digest) {
        let scope = "repository:\(repo):pull"
        let (resp, body) = try fetch("GET", path: "\(repo)/manifests/\(reference)", scope: scope,
                                     headers: [("Accept", RegistryClient.manifestTypes.joined(separator: ", "))], limit: limit)
        guard resp.isSuccess else { throw failure(resp, body, what: "manifest for \(endpoint.host)/\(repo):\(reference)") }
        let digest = Digest.of(body)
        var type = resp.header("content-type")?.split(separator: ";").first.map { String($0).trimmed } ?? ""
        if !MediaType.isIndex(type) && !MediaType.isManifest(type) {
            // some registries answer application/json: trust the document's own mediaType
            struct Peek: Decodable { var mediaType: String? }
            if let peek = try? JSON.decode(Peek.self, from: body, what: "manifest"), let t = peek.mediaType { type = t }
        }
        return (body, type, digest)
    }

    /// Streams a blob's bytes to `sink` as they arrive. The caller checks the digest.
    public func blob(_ repo: String, _ digest: Digest,
                     sink: (UnsafeRawBufferPointer) throws(BoxError) -> Void) throws(BoxError) {
        let scope = "repository:\(repo):pull"
        let resp = try send("GET", path: "\(repo)/blobs/\(digest)", scope: scope, sink: sink)
        guard resp.0.isSuccess else { throw failure(resp.0, resp.1, what: "blob \(digest) of \(endpoint.host)/\(repo)") }
    }

    /// A small blob (a config) in memory, checked against its digest.
    public func blobBytes(_ repo: String, _ digest: Digest, limit: Int = 8 << 20) throws(BoxError) -> [UInt8] {
        var out: [UInt8] = []
        try blob(repo, digest) { (chunk) throws(BoxError) in
            guard out.count + chunk.count <= limit else {
                throw BoxError(.invalidImage, "blob \(digest): larger than \(limit) bytes")
            }
            out.append(contentsOf: chunk)
        }
        let got = Digest.of(out)
        guard got == digest else { throw BoxError(.invalidImage, "blob \(digest): content has digest \(got)") }
        return out
    }

    /// Whether the registry has a blob in `repo`.
    public func hasBlob(_ repo: String, _ digest: Digest) throws(BoxError) -> Bool {
        let (resp, body) = try fetch("HEAD", path: "\(repo)/blobs/\(digest)", scope: "repository:\(repo):pull,push")
        if resp.status == 404 { return false }
        guard resp.isSuccess else { throw failure(resp, body, what: "check blob \(digest) in \(endpoint.host)/\(repo)") }
        return true
    }

    /// Asks the registry to mount a blob from another repository; true when it did (201).
    public func mountBlob(_ repo: String, _ digest: Digest, from source: String) throws(BoxError) -> Bool {
        let scope = "repository:\(repo):pull,push repository:\(source):pull"
        let (resp, _) = try fetch("POST", path: "\(repo)/blobs/uploads/?mount=\(digest)&from=\(source)", scope: scope)
        if resp.status == 201 { return true }
        if resp.status == 202, let loc = resp.header("location") {
            // an upload was opened instead: cancel it
            _ = try? fetch("DELETE", url: absolute(loc), scope: scope)
        }
        return false
    }

    /// Uploads `length` bytes from `fd` as the blob `digest` (one POST, then a monolithic PUT).
    public func upload(_ repo: String, _ digest: Digest, fd: Int32, length: Int64) throws(BoxError) {
        let scope = "repository:\(repo):pull,push"
        let (start, body) = try fetch("POST", path: "\(repo)/blobs/uploads/", scope: scope)
        guard start.status == 202, let loc = start.header("location") else {
            throw failure(start, body, what: "start upload of \(digest) to \(endpoint.host)/\(repo)")
        }
        var url = absolute(loc)
        url += (url.contains("?") ? "&" : "?") + "digest=\(digest)"
        let (done, doneBody) = try fetch("PUT", url: url, scope: scope,
                                         headers: [("Content-Type", "application/octet-stream"), ("Content-Length", "\(length)")],
                                         body: .file(fd: fd, length: length))
        guard done.status == 201 || done.isSuccess else {
            throw failure(done, doneBody, what: "upload \(digest) to \(endpoint.host)/\(repo)")
        }
    }

    /// Uploads a manifest under a tag or digest; returns the digest the registry reports (or computes).
    @discardableResult
    public func putManifest(_ repo: String, _ reference: String, bytes: [UInt8], mediaType: String) throws(BoxError) -> Digest {
        let scope = "repository:\(repo):pull,push"
        let (resp, body) = try fetch("PUT", path: "\(repo)/manifests/\(reference)", scope: scope,
                                     headers: [("Content-Type", mediaType)], body: .bytes(bytes))
        guard resp.isSuccess else { throw failure(resp, body, what: "put manifest \(endpoint.host)/\(repo):\(reference)") }
        return Digest.of(bytes)
    }

    // MARK: transport and auth

    /// Pings `/v2/` once to learn the scheme (HTTPS, or HTTP where allowed) and the auth challenge.
    /// When plain HTTP does not answer as a registry either, the HTTPS failure is the one reported.
    func connect() throws(BoxError) {
        if state.withLock({ $0.scheme }) != nil { return }
        var firstError: BoxError?
        for scheme in endpoint.allowHTTP ? ["https", "http"] : ["https"] {
            do throws(BoxError) {
                let (resp, _) = try transport.fetch(HTTPRequest("GET", "\(scheme)://\(endpoint.apiHost)/v2/"),
                                                    options: endpoint.options, limit: 1 << 20)
                let challenge = resp.status == 401 ? RegistryClient.pick(resp.headers("www-authenticate")) : nil
                if resp.status != 401 && !resp.isSuccess {
                    throw BoxError(.io, "unexpected status \(resp.status) \(HTTPStatus.text(resp.status)) from \(scheme)://\(endpoint.apiHost)/v2/")
                }
                state.withLock {
                    $0.scheme = scheme
                    $0.challenge = challenge
                }
                return
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw BoxError(.io, "pinging container registry \(endpoint.host): \(firstError?.message ?? "failed")")
    }

    static func pick(_ values: [String]) -> Challenge? {
        let all = values.flatMap { Challenge.parse($0) }
        return all.first { $0.scheme == "bearer" } ?? all.first { $0.scheme == "basic" }
    }

    func url(_ path: String) -> String {
        "\(state.withLock { $0.scheme } ?? "https")://\(endpoint.apiHost)/v2/\(path)"
    }

    /// A `Location` header made absolute.
    func absolute(_ location: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        return "\(state.withLock { $0.scheme } ?? "https")://\(endpoint.apiHost)\(location.hasPrefix("/") ? "" : "/")\(location)"
    }

    func fetch(_ method: String, path: String, scope: String, headers: [(String, String)] = [],
               body: HTTPBody = .none, limit: Int = 4 << 20) throws(BoxError) -> (HTTPResponse, [UInt8]) {
        try connect()
        return try fetch(method, url: url(path), scope: scope, headers: headers, body: body, limit: limit)
    }

    func fetch(_ method: String, url: String, scope: String, headers: [(String, String)] = [],
               body: HTTPBody = .none, limit: Int = 4 << 20) throws(BoxError) -> (HTTPResponse, [UInt8]) {
        var out: [UInt8] = []
        let (resp, err) = try send(method, url: url, scope: scope, headers: headers, body: body) { (chunk) throws(BoxError) in
            guard out.count + chunk.count <= limit else {
                throw BoxError(.invalidImage, "\(method) \(CurlTransport.redacted(url)): response larger than \(limit) bytes")
            }
            out.append(contentsOf: chunk)
        }
        return (resp, resp.isSuccess ? out : err)
    }

    func send(_ method: String, path: String, scope: String, headers: [(String, String)] = [],
              sink: (UnsafeRawBufferPointer) throws(BoxError) -> Void) throws(BoxError) -> (HTTPResponse, [UInt8]) {
        try connect()
        return try send(method, url: url(path), scope: scope, headers: headers, body: .none, sink: sink)
    }

    /// Sends a request with the cached authorization for `scope`; on 401 authenticates once and retries.
    func send(_ method: String, url: String, scope: String, headers: [(String, String)], body: HTTPBody,
              sink: (UnsafeRawBufferPointer) throws(BoxError) -> Void) throws(BoxError) -> (HTTPResponse, [UInt8]) {
        func attempt(refresh: Bool) throws(BoxError) -> (HTTPResponse, [UInt8]) {
            var hdrs = headers
            if let auth = try authorization(scope: scope, refresh: refresh) { hdrs.append(("Authorization", auth)) }
            return try transport.send(HTTPRequest(method, url, headers: hdrs, body: body), options: endpoint.options, sink: sink)
        }
        let first = try attempt(refresh: false)
        guard first.0.status == 401, let c = RegistryClient.pick(first.0.headers("www-authenticate")) else { return first }
        state.withLock { $0.challenge = c }
        // an upload body is read again from its start
        if case .file(let fd, _) = body { _ = lseek(fd, 0, SEEK_SET) }
        return try attempt(refresh: true)
    }

    /// The `Authorization` header for a scope: a cached bearer token, basic credentials, or none.
    func authorization(scope: String, refresh: Bool) throws(BoxError) -> String? {
        let (challenge, cached) = state.withLock { ($0.challenge, $0.authorization[scope]) }
        guard let challenge else { return nil }
        if let cached, !refresh { return cached }
        let value: String
        switch challenge.scheme {
        case "basic":
            guard let credentials else { return nil }
            value = credentials.basicAuthorization
        case "bearer":
            value = "Bearer " + (try token(challenge, scope: scope))
        default:
            return nil
        }
        state.withLock { $0.authorization[scope] = value }
        return value
    }

    /// Asks the challenge's realm for a token (Docker's token flow), with basic credentials when known.
    func token(_ challenge: Challenge, scope: String) throws(BoxError) -> String {
        guard let realm = challenge.realm else { throw BoxError(.io, "\(endpoint.host): bearer challenge without a realm") }
        var query: [String] = []
        if let service = challenge.parameters["service"] { query.append("service=\(URLQuery.escape(service))") }
        for s in scope.split(separator: " ") where !s.isEmpty { query.append("scope=\(URLQuery.escape(String(s)))") }
        let url = realm + (query.isEmpty ? "" : (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
        var headers: [(String, String)] = []
        if let credentials {
            headers.append(("Authorization", credentials.basicAuthorization))
        }
        let (resp, body) = try transport.fetch(HTTPRequest("GET", url, headers: headers), options: endpoint.options, limit: 1 << 20)
        guard resp.isSuccess else {
            if resp.status == 401 || resp.status == 403 {
                throw BoxError(.invalidArgument, "authenticating to \(endpoint.host): unauthorized: incorrect username or password")
            }
            throw failure(resp, body, what: "get a token from \(CurlTransport.redacted(realm))")
        }
        struct TokenResponse: Decodable { var token: String?; var access_token: String? }
        let t = try JSON.decode(TokenResponse.self, from: body, what: "token from \(CurlTransport.redacted(realm))")
        guard let tok = t.token ?? t.access_token, !tok.isEmpty else {
            throw BoxError(.io, "token from \(CurlTransport.redacted(realm)): no token in the answer")
        }
        return tok
    }

    /// One error line for a failed response, with the registry's own error code and message when it sent one.
    func failure(_ resp: HTTPResponse, _ body: [UInt8], what: String) -> BoxError {
        struct Errors: Decodable {
            struct E: Decodable { var code: String?; var message: String? }
            var errors: [E]?
        }
        var detail = "\(resp.status) \(HTTPStatus.text(resp.status))"
        if let e = try? JSON.decode(Errors.self, from: body, what: "error"), let first = e.errors?.first {
            detail = [first.code?.lowercased().replacingUnderscores, first.message].compactMap { $0 }.joined(separator: ": ")
        }
        switch resp.status {
        case 401, 403:
            return BoxError(.invalidArgument, "\(what): access denied: \(detail) (does it exist? do you need to log in?)")
        case 404:
            return BoxError(.notFound, "\(what): not found: \(detail)")
        default:
            let status = "\(resp.status) \(HTTPStatus.text(resp.status))"
            return BoxError(.io, "\(what): \(detail)" + (detail == status ? "" : " (status \(status))"))
        }
    }
}

/// Reason phrases for the statuses a registry sends.
enum HTTPStatus {
    static func text(_ status: Int) -> String {
        switch status {
        case 400: "bad request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not found"
        case 405: "method not allowed"
        case 429: "too many requests"
        case 500: "internal server error"
        case 502: "bad gateway"
        case 503: "service unavailable"
        default: "status"
        }
    }
}

/// Percent-encoding for query values.
enum URLQuery {
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(b)))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }
}

extension String {
    var trimmed: String { Substring(self).trimmingSpaces }
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
