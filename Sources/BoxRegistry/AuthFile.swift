#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// The credentials files Podman and Docker read and write, in Podman's order of lookup.
///
/// Lookup reads `--authfile` alone if given, else `REGISTRY_AUTH_FILE` alone if set, else
/// `$XDG_RUNTIME_DIR/containers/auth.json` (`/run/containers/UID/auth.json` without it),
/// `$XDG_CONFIG_HOME/containers/auth.json` (`$HOME/.config/…`), Docker's `$DOCKER_CONFIG/config.json`
/// (`$HOME/.docker/config.json`) and the legacy `$HOME/.dockercfg`; the first file with an entry wins.
/// `box login` writes the first of these (`loginFile`). Credential helpers are not run; their keys are kept.
public struct AuthStore: Sendable {
    /// One file to read, and whether it is in the legacy `.dockercfg` format (no `"auths"` wrapper).
    struct Source: Equatable, Sendable {
        var path: String
        var legacy: Bool
    }

    /// The files read, best first.
    let sources: [Source]
    /// The path `save`, `remove` and `removeAll` write to.
    public let loginFile: String

    public init(authfile: String? = nil, environment env: [String: String] = Environment.current,
                isRoot: Bool = geteuid() == 0) {
        if let explicit = authfile ?? env["REGISTRY_AUTH_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            loginFile = explicit
            sources = [Source(path: explicit, legacy: false)]
            return
        }
        let home = env["HOME"] ?? (isRoot ? "/root" : "/")
        let runtime = env["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : "\($0)/containers/auth.json" }
        loginFile = runtime ?? "/run/containers/\(isRoot ? 0 : geteuid())/auth.json"
        let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.config"
        let docker = env["DOCKER_CONFIG"].flatMap { $0.isEmpty ? nil : "\($0)/config.json" } ?? "\(home)/.docker/config.json"
        sources = [Source(path: loginFile, legacy: false), Source(path: "\(config)/containers/auth.json", legacy: false),
                   Source(path: docker, legacy: false), Source(path: "\(home)/.dockercfg", legacy: true)]
    }

    /// The files consulted by `credentials(for:repository:)`, best first.
    public var files: [String] { sources.map(\.path) }

    /// The credentials for `registry` (`docker.io`, `127.0.0.1:5000`), preferring a per-repository entry
    /// (`host/namespace/repo`, then `host/namespace`) for `repository` (`library/busybox`).
    /// Nil when no file has an entry; a malformed file is an error naming it.
    public func credentials(for registry: String, repository: String? = nil) throws(BoxError) -> Credentials? {
        let host = AuthStore.canonicalHost(registry)
        var scopes = [host]
        if let repository, !repository.isEmpty {
            var parts = repository.split(separator: "/").map(String.init)
            while !parts.isEmpty {
                scopes.insert(host + "/" + parts.joined(separator: "/"), at: scopes.count - 1)
                parts.removeLast()
            }
        }
        for source in sources {
            guard let auths = try AuthStore.readAuths(source) else { continue }
            if let found = try AuthStore.lookup(scopes, in: auths, source: source) { return found }
        }
        return nil
    }

    /// Stores credentials for `registry` in `loginFile`, keeping every other entry and field of the file.
    /// Docker Hub's entry is keyed `docker.io`, as Podman writes it.
    public func save(_ c: Credentials, for registry: String) throws(BoxError) {
        let key = AuthStore.canonicalHost(registry)
        let entry = JSONValue.object(["auth": .string(Base64.encode(Array("\(c.username):\(c.password)".utf8)))])
        _ = try edit { (auths: inout [String: JSONValue]) in
            auths[key] = entry
            return true
        }
    }

    /// Removes `registry`'s entry from `loginFile` (`logout`): its canonical key and any URL-style key for the
    /// same host. False when there was none.
    public func remove(for registry: String) throws(BoxError) -> Bool {
        guard Files.exists(loginFile) else { return false }
        let key = AuthStore.canonicalHost(registry)
        return try edit { (auths: inout [String: JSONValue]) in
            let doomed = auths.keys.filter { $0 == key || AuthStore.normalizedKey($0, legacy: false) == key }
            for k in doomed { auths[k] = nil }
            return !doomed.isEmpty
        }
    }

    /// Removes every entry from `loginFile` (`logout --all`), keeping its other fields.
    public func removeAll() throws(BoxError) {
        guard Files.exists(loginFile) else { return }
        _ = try edit { (auths: inout [String: JSONValue]) in
            auths = [:]
            return true
        }
    }

    // MARK: - Keys

    /// The registry host as the login file keys it: scheme and `/v1/` path dropped, Docker Hub as `docker.io`.
    static func canonicalHost(_ registry: String) -> String {
        normalizedKey(registry, legacy: false)
    }

    /// An auth-file key as a comparable name: a URL (`https://host/v1/`) becomes its host; a legacy file's key
    /// is always only its host; Docker Hub's hosts become `docker.io`. Per-repository keys keep their path.
    static func normalizedKey(_ key: String, legacy: Bool) -> String {
        var k = Substring(key)
        var url = false
        for scheme in ["http://", "https://"] where k.hasPrefix(scheme) {
            k = k.dropFirst(scheme.count)
            url = true
        }
        let slash = k.firstIndex(of: "/")
        var host = slash.map { k[..<$0] } ?? k
        let rest = (url || legacy) ? "" : slash.map { String(k[$0...]) } ?? ""
        if host == "index.docker.io" || host == "registry-1.docker.io" { host = "docker.io" }
        return String(host) + rest
    }

    // MARK: - Reading

    /// The `auths` map of one file; nil when the file does not exist.
    static func readAuths(_ source: Source) throws(BoxError) -> [String: JSONValue]? {
        let bytes: [UInt8]
        do {
            bytes = try Files.read(source.path)
        } catch {
            if error.errno == ENOENT || error.errno == ENOTDIR { return nil }
            throw BoxError(error.code, "read auth file \(error.message)", errno: error.errno)
        }
        let top = try decode(bytes, path: source.path)
        if source.legacy { return top }
        switch top["auths"] {
        case nil, .null?: return [:]
        case .object(let auths)?: return auths
        default: throw BoxError(.invalidArgument, "read auth file \(source.path): \"auths\" is not an object")
        }
    }

    /// Parses a file's top level, which must be a JSON object.
    static func decode(_ bytes: [UInt8], path: String) throws(BoxError) -> [String: JSONValue] {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return [:] }
        let value: JSONValue
        do {
            value = try JSON.decode(JSONValue.self, from: bytes, what: path)
        } catch {
            throw BoxError(.invalidArgument, "read auth file \(error.message.dropPrefix("parse "))")
        }
        guard case .object(let top) = value else {
            throw BoxError(.invalidArgument, "read auth file \(path): not a json object")
        }
        return top
    }

    /// The best entry of one file for the scopes (most specific first): for each, its exact key, else any key
    /// that normalizes to it (`https://index.docker.io/v1/`, `http://host`, `index.docker.io/library/x`).
    /// An exact entry without usable credentials (a credential-helper marker) ends the search in this file.
    static func lookup(_ scopes: [String], in auths: [String: JSONValue], source: Source) throws(BoxError) -> Credentials? {
        for scope in source.legacy ? [scopes.last!] : scopes {
            if let entry = auths[scope] { return try credentials(entry, key: scope, path: source.path) }
            for key in auths.keys.sorted() where normalizedKey(key, legacy: source.legacy) == scope {
                if let found = try credentials(auths[key]!, key: key, path: source.path) { return found }
            }
        }
        return nil
    }

    /// Decodes one entry: `auth` (base64 `user:password`), else `username`/`password`; an `identitytoken`
    /// becomes the password with the user `<token>`, as Docker sends it.
    static func credentials(_ entry: JSONValue, key: String, path: String) throws(BoxError) -> Credentials? {
        guard case .object(let fields) = entry else {
            throw BoxError(.invalidArgument, "read auth file \(path): entry \"\(key)\" is not an object")
        }
        func string(_ name: String) throws(BoxError) -> String? {
            switch fields[name] {
            case nil, .null?: return nil
            case .string(let s)?: return s.isEmpty ? nil : s
            default: throw BoxError(.invalidArgument, "read auth file \(path): \(key).\(name) is not a string")
            }
        }
        if let token = try string("identitytoken") {
            return Credentials(username: "<token>", password: token)
        }
        if let auth = try string("auth") {
            guard let raw = Base64.decode(auth) else {
                throw BoxError(.invalidArgument, "read auth file \(path): \(key).auth is not valid base64")
            }
            // Like Docker, an auth without a colon is passed over.
            guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            var password = raw[(colon + 1)...]
            while password.last == 0 { password = password.dropLast() }
            return Credentials(username: String(decoding: raw[..<colon], as: UTF8.self),
                               password: String(decoding: password, as: UTF8.self))
        }
        if let user = try string("username"), let password = try string("password") {
            return Credentials(username: user, password: password)
        }
        return nil
    }

    // MARK: - Writing

    /// Rewrites `loginFile` under a lock on its directory, applying `change` to its `auths` map and keeping
    /// every other top-level key. Writes only when `change` returns true.
    private func edit(_ change: (inout [String: JSONValue]) throws(BoxError) -> Bool) throws(BoxError) -> Bool {
        let path = loginFile
        let dir = Files.dirname(path)
        try Files.mkdirAll(dir, mode: 0o700)
        return try withLock(dir) { () throws(BoxError) -> Bool in
            var top: [String: JSONValue] = [:]
            if let bytes = try AuthStore.readIfPresent(path) { top = try AuthStore.decode(bytes, path: path) }
            var auths: [String: JSONValue] = [:]
            switch top["auths"] {
            case nil, .null?: break
            case .object(let a)?: auths = a
            default: throw BoxError(.invalidArgument, "read auth file \(path): \"auths\" is not an object")
            }
            guard try change(&auths) else { return false }
            top["auths"] = .object(auths)
            try Files.writeAtomic(path, Array((JSONValue.object(top).serialized() + "\n").utf8), mode: 0o600)
            return true
        }
    }

    private static func readIfPresent(_ path: String) throws(BoxError) -> [UInt8]? {
        do {
            return try Files.read(path)
        } catch {
            if error.errno == ENOENT { return nil }
            throw BoxError(error.code, "read auth file \(error.message)", errno: error.errno)
        }
    }
}

extension String {
    /// The string without `prefix`, if it starts with it.
    fileprivate func dropPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}

/// Standard base64 (RFC 4648 with `+/` and padding), as the `auth` field of credentials files uses.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes, padded with `=`.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let b0 = bytes[i], b1 = n > 1 ? bytes[i + 1] : 0, b2 = n > 2 ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(n > 1 ? alphabet[Int((b1 & 15) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(n > 2 ? alphabet[Int(b2 & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64 with or without padding; nil on any other character or a bad length.
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        var padding = 0
        for c in text.utf8 {
            if c == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let v = value(c) else { return nil }
            values.append(v)
        }
        guard values.count % 4 != 1, padding == 0 || (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i < values.count {
            let n = min(4, values.count - i)
            let v0 = values[i], v1 = values[i + 1]
            let v2 = n > 2 ? values[i + 2] : 0, v3 = n > 3 ? values[i + 3] : 0
            out.append(v0 << 2 | v1 >> 4)
            if n > 2 { out.append(v1 << 4 | v2 >> 2) }
            if n > 3 { out.append(v2 << 6 | v3) }
            i += 4
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}

/// Any JSON value, so that rewriting a credentials file keeps the fields box does not know.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    /// The value as JSON text, indented with tabs and with sorted keys, as Podman and Docker write these files.
    func serialized(_ indent: String = "") -> String {
        let inner = indent + "\t"
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.description
        case .string(let s): return JSONValue.quote(s)
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[\n" + a.map { inner + $0.serialized(inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            let fields = o.keys.sorted().map { inner + JSONValue.quote($0) + ": " + o[$0]!.serialized(inner) }
            return "{\n" + fields.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
