import BoxCore

/// An image reference, normalized as Docker does: `busybox` is `docker.io/library/busybox:latest`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with port if any: `docker.io`, `localhost:5000`.
    public let domain: String
    /// The repository path: `library/busybox`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public static let defaultDomain = "docker.io"

    /// Parses and normalizes a reference; a missing tag (and digest) becomes `latest`.
    public init(parsing s: String) throws(BoxError) {
        func bad(_ why: String) -> BoxError { BoxError(.invalidArgument, "invalid reference format \"\(s)\": \(why)") }
        guard !s.isEmpty else { throw bad("empty") }
        guard s.count <= 255 else { throw bad("too long") }
        var rest = Substring(s)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard Reference.validTag(t) else { throw bad("invalid tag") }
            tag = t
            rest = rest[..<colon]
        }
        var domain = Reference.defaultDomain
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase) {
                domain = String(first)
                path = String(rest[rest.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = Reference.defaultDomain }
        if domain == Reference.defaultDomain && !path.contains("/") { path = "library/" + path }
        guard Reference.validPath(path) else { throw bad("repository name must be lowercase") }
        if tag == nil && digest == nil { tag = "latest" }
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `domain/path`, the repository without tag or digest.
    public var repository: String { "\(domain)/\(path)" }

    /// The full normalized form: `docker.io/library/busybox:latest`.
    public var description: String {
        var s = repository
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The short form Docker shows: `busybox:latest`, `localhost:5000/x:1`.
    public var familiar: String {
        var repo = repository
        if domain == Reference.defaultDomain {
            repo = path.hasPrefix("library/") ? String(path.dropFirst(8)) : path
        }
        var s = repo
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The familiar repository without tag: `busybox`.
    public var familiarRepository: String {
        if domain == Reference.defaultDomain { return path.hasPrefix("library/") ? String(path.dropFirst(8)) : path }
        return repository
    }

    static func validTag(_ t: String) -> Bool {
        guard let first = t.utf8.first, t.utf8.count <= 128 else { return false }
        let ok = { (c: UInt8) in (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        return ok(first) && t.utf8.allSatisfy { ok($0) || $0 == 46 || $0 == 45 }
    }

    static func validPath(_ p: String) -> Bool {
        let parts = p.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { part in
            guard let f = part.utf8.first, let l = part.utf8.last else { return false }
            let alnum = { (c: UInt8) in (c >= 48 && c <= 57) || (c >= 97 && c <= 122) }
            return alnum(f) && alnum(l) && part.utf8.allSatisfy { alnum($0) || $0 == 46 || $0 == 95 || $0 == 45 }
        }
    }
}
