import BoxCore

/// What an HTTP request sends as its body.
public enum HTTPBody: Sendable {
    case none
    case bytes([UInt8])
    /// `length` bytes read from `fd`, from its start.
    case file(fd: Int32, length: Int64)
}

/// One HTTP request to a registry or a token server.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: HTTPBody

    public init(_ method: String, _ url: String, headers: [(String, String)] = [], body: HTTPBody = .none) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A response's status and headers (names lowercased; a repeated header keeps each value).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]

    public init(status: Int, headers: [(String, String)] = []) {
        self.status = status
        self.headers = headers
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0 == n }?.1
    }

    /// Every value of a header.
    public func headers(_ name: String) -> [String] {
        let n = name.lowercased()
        return headers.filter { $0.0 == n }.map(\.1)
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// How to reach one registry: TLS checks, a private CA and client certificate, and time limits.
public struct TransportOptions: Sendable, Equatable {
    /// Check the server's certificate and host name.
    public var verifyTLS = true
    /// PEM CA certificates to trust besides the system's (a registry's `certs.d/<host>/*.crt`).
    public var extraCAs: [String] = []
    /// A client certificate and key (`certs.d/<host>/*.cert` and `*.key`).
    public var clientCert: String?
    public var clientKey: String?
    /// Connection set-up limit.
    public var connectTimeoutMs = 30_000
    /// A transfer that moves nothing for this long fails (`BOX_REGISTRY_TIMEOUT` seconds overrides).
    public var stallSeconds = 60

    public init() {
        if let s = Environment.current["BOX_REGISTRY_TIMEOUT"], let n = Int(s), n > 0 {
            stallSeconds = n
            connectTimeoutMs = min(connectTimeoutMs, n * 1000)
        }
    }
}

/// Sends HTTP requests; the one seam between the registry client and the network, so tests can replace it.
public protocol HTTPTransport: Sendable {
    /// Sends `request`. A 2xx body goes to `sink` as it arrives; any other status's body (up to 64 KiB)
    /// is returned in `errorBody`. Throws on transport failures (refused, reset, TLS, stalled).
    func send(_ request: HTTPRequest, options: TransportOptions,
              sink: (UnsafeRawBufferPointer) throws(BoxError) -> Void) throws(BoxError) -> (HTTPResponse, errorBody: [UInt8])
}

extension HTTPTransport {
    /// Sends `request` and returns its whole body, refusing a body over `limit` bytes.
    public func fetch(_ request: HTTPRequest, options: TransportOptions,
                      limit: Int = 4 << 20) throws(BoxError) -> (HTTPResponse, [UInt8]) {
        var body: [UInt8] = []
        let (resp, errorBody) = try send(request, options: options) { (chunk) throws(BoxError) in
            guard body.count + chunk.count <= limit else {
                throw BoxError(.invalidImage, "\(request.method) \(request.url): response larger than \(limit) bytes")
            }
            body.append(contentsOf: chunk)
        }
        return (resp, resp.isSuccess ? body : errorBody)
    }
}
