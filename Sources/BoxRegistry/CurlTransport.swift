#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CCurl
import Synchronization

/// HTTP over a minimal static libcurl. Handles are pooled so that connections are kept alive and reused;
/// each request runs on the calling thread.
public final class CurlTransport: HTTPTransport {
    /// A libcurl easy handle; used by one thread at a time.
    struct Handle: @unchecked Sendable { let raw: UnsafeMutableRawPointer }
    private let idle = Mutex<[Handle]>([])
    private static let initialized: Bool = box_http_global_init() == 0

    public init() {}

    deinit {
        idle.withLock { for h in $0 { box_http_free(h.raw) } }
    }

    /// The linked libcurl's version line.
    public static var version: String { String(cString: box_http_version()) }

    public func send(_ request: HTTPRequest, options: TransportOptions,
                     sink: (UnsafeRawBufferPointer) throws(BoxError) -> Void) throws(BoxError) -> (HTTPResponse, errorBody: [UInt8]) {
        guard CurlTransport.initialized else { throw BoxError(.system, "initialize libcurl: failed") }
        let pooled = idle.withLock { $0.popLast() }
        guard let handle = pooled ?? box_http_new().map(Handle.init) else {
            throw BoxError(.system, "create an HTTP handle: out of memory")
        }
        defer { idle.withLock { $0.append(handle) } }
        return try withoutActuallyEscaping(sink) { (sink) throws(BoxError) in
            let call = Call(sink: sink)
            try perform(handle.raw, request, options, call)
            return (call.response, call.errorBody)
        }
    }

    private func perform(_ handle: UnsafeMutableRawPointer, _ request: HTTPRequest, _ options: TransportOptions,
                         _ call: Call) throws(BoxError) {
        let ca = options.extraCAs.isEmpty ? nil : CABundle.systemText + options.extraCAs.joined(separator: "\n")
        let headerLines = request.headers.map { "\($0.0): \($0.1)" }
        var cHeaders: [UnsafeMutablePointer<CChar>?] = headerLines.map { strdup($0) } + [nil]
        defer { for p in cHeaders { free(p) } }
        var result = box_http_result()
        let bodyBytes: [UInt8]
        var fd: Int32 = -1
        var fdLen: Int64 = 0
        switch request.body {
        case .none: bodyBytes = []
        case .bytes(let b): bodyBytes = b
        case .file(let f, let n):
            bodyBytes = []
            fd = f
            fdLen = n
        }
        let caFile = CABundle.path
        let rc: Int32 = request.method.withCString { method in
            request.url.withCString { url in
                bodyBytes.withUnsafeBytes { body in
                    Array((ca ?? "").utf8).withUnsafeBytes { caBlob in
                        cHeaders.withUnsafeMutableBufferPointer { hdrs in
                            withOptionalCString(caFile) { caFileP in
                                withOptionalCString(options.clientCert) { certP in
                                    withOptionalCString(options.clientKey) { keyP in
                                        var req = box_http_request()
                                        req.method = method
                                        req.url = url
                                        req.headers = UnsafePointer(OpaquePointer(hdrs.baseAddress))
                                        req.body = body.baseAddress
                                        req.body_len = body.count
                                        req.body_fd = fd
                                        req.body_fd_len = fdLen
                                        req.verify_tls = options.verifyTLS ? 1 : 0
                                        req.ca_file = caFileP
                                        if ca != nil {
                                            req.ca_blob = caBlob.baseAddress
                                            req.ca_blob_len = caBlob.count
                                        }
                                        req.client_cert = certP
                                        req.client_key = keyP
                                        req.connect_timeout_ms = options.connectTimeoutMs
                                        req.low_speed_time_s = options.stallSeconds
                                        req.follow_redirects = 1
                                        req.on_header = { ctx, line, len in
                                            Unmanaged<Call>.fromOpaque(ctx!).takeUnretainedValue().header(line!, len)
                                        }
                                        req.on_data = { ctx, data, len in
                                            Unmanaged<Call>.fromOpaque(ctx!).takeUnretainedValue()
                                                .data(UnsafeRawBufferPointer(start: data, count: len))
                                        }
                                        req.ctx = Unmanaged.passUnretained(call).toOpaque()
                                        return box_http_perform(handle, &req, &result)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let e = call.failure { throw e }
        if rc != 0 {
            let msg = withUnsafeBytes(of: &result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw BoxError(.io, "\(request.method) \(CurlTransport.redacted(request.url)): \(msg.lowercasedFirst)")
        }
    }

    /// A URL without its query string (which may carry a token or signature).
    static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    /// The state of one request while libcurl runs it.
    final class Call {
        let sink: (UnsafeRawBufferPointer) throws(BoxError) -> Void
        var response = HTTPResponse(status: 0)
        var errorBody: [UInt8] = []
        var failure: BoxError?

        init(sink: @escaping (UnsafeRawBufferPointer) throws(BoxError) -> Void) { self.sink = sink }

        func header(_ line: UnsafePointer<CChar>, _ len: Int) -> Int32 {
            let raw = UnsafeRawBufferPointer(start: line, count: len)
            let text = String(decoding: raw, as: UTF8.self).trimmingSuffixNewlines
            if text.hasPrefix("HTTP/") {
                // a new response (after a redirect or a 100): its status, and no headers yet
                let parts = text.split(separator: " ", maxSplits: 2)
                response = HTTPResponse(status: parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
            } else if let colon = text.firstIndex(of: ":") {
                let name = text[..<colon].lowercased()
                let value = text[text.index(after: colon)...].trimmingSpaces
                response.headers.append((name, value))
            }
            return 0
        }

        func data(_ chunk: UnsafeRawBufferPointer) -> Int32 {
            if response.isSuccess {
                do { try sink(chunk) } catch {
                    failure = error
                    return 1
                }
            } else if errorBody.count < 65536 {
                errorBody.append(contentsOf: chunk.prefix(65536 - errorBody.count))
            }
            return 0
        }
    }
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// The system's CA bundle: `SSL_CERT_FILE`, else the first of the usual distribution paths.
enum CABundle {
    static let path: String? = {
        if let p = Environment.current["SSL_CERT_FILE"], Files.exists(p) { return p }
        return ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
                "/etc/pki/tls/cacert.pem", "/etc/ssl/cert.pem"].first { Files.exists($0) }
    }()

    /// The bundle's PEM text (empty when there is none), to which a registry's own CAs are appended;
    /// read once, on the first request to a registry with CAs of its own.
    static let systemText: String = {
        guard let path, let bytes = try? Files.read(path) else { return "" }
        return String(decoding: bytes, as: UTF8.self) + "\n"
    }()
}

extension String {
    var trimmingSuffixNewlines: String {
        var s = Substring(self)
        while let l = s.last, l.isNewline { s = s.dropLast() }
        return String(s)
    }

    var lowercasedFirst: String {
        guard let f = first else { return self }
        return f.lowercased() + dropFirst()
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
