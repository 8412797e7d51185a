#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// One place to pull an image from: a registry or one of its mirrors, with the repository as named there.
public struct RegistryEndpoint: Equatable, Sendable, CustomStringConvertible {
    /// `host[:port]`, e.g. `mirror.example.com:5000`.
    public var host: String
    /// The repository on that host, after any prefix remapping: `library/busybox`.
    public var repository: String
    /// The file marks it insecure: try HTTPS without verification, then plain HTTP.
    public var insecure: Bool
    public var isMirror: Bool

    public init(host: String, repository: String, insecure: Bool, isMirror: Bool) {
        self.host = host
        self.repository = repository
        self.insecure = insecure
        self.isMirror = isMirror
    }

    public var description: String { "\(host)/\(repository)" }
}

/// The registries configuration of containers-registries.conf(5): search registries, mirrors, insecure and
/// blocked registries, and prefix remapping. Both the version 2 format (`[[registry]]`) and version 1's
/// `[registries.search]`, `[registries.insecure]` and `[registries.block]` lists are read.
public struct RegistriesConfig: Sendable {
    /// How short names are resolved (`short-name-mode`); box reads it but always uses the first search registry.
    public enum ShortNameMode: String, Sendable {
        case enforcing, permissive, disabled
    }

    /// Which pulls a mirror serves (`pull-from-mirror`).
    public enum MirrorUse: String, Sendable {
        case all
        case digestOnly = "digest-only"
        case tagOnly = "tag-only"
    }

    /// A `[[registry.mirror]]` table.
    public struct Mirror: Equatable, Sendable {
        public var location: String
        public var insecure: Bool
        public var use: MirrorUse
    }

    /// A `[[registry]]` table.
    public struct Registry: Equatable, Sendable {
        /// What names it applies to: `host[:port][/path]`, or `*.example.com` for every subdomain.
        public var prefix: String
        /// Where those names really are; empty only for a wildcard prefix (the name is used as is).
        public var location: String
        public var insecure: Bool
        public var blocked: Bool
        public var mirrors: [Mirror]
        /// The file it came from, for messages.
        public var source: String
    }

    /// `unqualified-search-registries`: the registries to try for a short name, in order.
    public var unqualifiedSearchRegistries: [String] = []
    public var shortNameMode: ShortNameMode?
    /// `[aliases]`: short name → fully qualified name.
    public var aliases: [String: String] = [:]
    public var registries: [Registry] = []
    /// Whether a file set `unqualified-search-registries` (so a drop-in's empty list still replaces it).
    var searchSet = false

    /// An empty configuration: no mirrors, no remapping, no search registries.
    public init() {}

    /// The registry for short names: the first search registry; nil when there is none (box then uses docker.io).
    public var defaultDomain: String? { unqualifiedSearchRegistries.first }

    /// Reads the configuration: `BOX_REGISTRIES_CONF`, else `CONTAINERS_REGISTRIES_CONF`, else (not root)
    /// `$HOME/.config/containers/registries.conf` if it exists, else `/etc/containers/registries.conf`; then
    /// the `*.conf` files of the `registries.conf.d` directory beside it, in name order, each on top of the
    /// last. A missing file is an empty configuration.
    public static func load(environment env: [String: String] = Environment.current,
                            isRoot: Bool = geteuid() == 0) throws(BoxError) -> RegistriesConfig {
        let path = configPath(environment: env, isRoot: isRoot)
        var config = try read(path) ?? RegistriesConfig()
        let dropIns = Files.dirname(path) + "/registries.conf.d"
        for name in try Files.list(dropIns) where name.hasSuffix(".conf") {
            let file = dropIns + "/" + name
            guard !Files.isDirectory(file), let update = try read(file) else { continue }
            config.merge(update)
        }
        return config
    }

    /// The main configuration file for this environment.
    public static func configPath(environment env: [String: String], isRoot: Bool) -> String {
        if let p = env["BOX_REGISTRIES_CONF"], !p.isEmpty { return p }
        if let p = env["CONTAINERS_REGISTRIES_CONF"], !p.isEmpty { return p }
        if !isRoot, let home = env["HOME"], !home.isEmpty {
            let user = home + "/.config/containers/registries.conf"
            if Files.exists(user) { return user }
        }
        return "/etc/containers/registries.conf"
    }

    /// Parses one file; nil when it does not exist.
    static func read(_ path: String) throws(BoxError) -> RegistriesConfig? {
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path)
        } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
        return try RegistriesConfig(parsing: String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Applies a drop-in file on top: a `[[registry]]` replaces one with the same prefix; a top-level key
    /// the drop-in sets replaces this one's; aliases are merged by name.
    mutating func merge(_ update: RegistriesConfig) {
        for reg in update.registries {
            if let i = registries.firstIndex(where: { $0.prefix == reg.prefix }) {
                registries[i] = reg
            } else {
                registries.append(reg)
            }
        }
        if update.searchSet {
            unqualifiedSearchRegistries = update.unqualifiedSearchRegistries
            searchSet = true
        }
        if let mode = update.shortNameMode { shortNameMode = mode }
        aliases.merge(update.aliases) { _, new in new }
    }

    // MARK: - Endpoints

    /// The `[[registry]]` whose prefix is the longest match of `name` (`host/repository`); the first wins a tie.
    public func registry(matching name: String) -> Registry? {
        var best: Registry?
        for reg in registries where RegistriesConfig.matchLength(name, prefix: reg.prefix) != nil {
            if reg.prefix.count > (best?.prefix.count ?? 0) { best = reg }
        }
        return best
    }

    /// Where to pull `registry/repository` from, in order: the matching registry's mirrors that serve this kind
    /// of pull (by digest or by tag), then the registry's own location, each with the prefix part of the name
    /// replaced by its location. A name no `[[registry]]` matches is pulled from where it says.
    public func endpoints(for registry: String, repository: String,
                          byDigest: Bool) throws(BoxError) -> [RegistryEndpoint] {
        let name = "\(registry)/\(repository)"
        guard let reg = self.registry(matching: name) else {
            return [RegistryEndpoint(host: registry, repository: repository, insecure: false, isMirror: false)]
        }
        if reg.blocked { throw BoxError(.invalidArgument, "registry \(registry) is blocked in \(reg.source)") }
        var out: [RegistryEndpoint] = []
        for m in reg.mirrors {
            switch m.use {
            case .all: break
            case .digestOnly: if !byDigest { continue }
            case .tagOnly: if byDigest { continue }
            }
            out.append(try RegistriesConfig.rewrite(name, reg: reg, location: m.location, insecure: m.insecure, mirror: true))
        }
        out.append(try RegistriesConfig.rewrite(name, reg: reg, location: reg.location, insecure: reg.insecure, mirror: false))
        return out
    }

    /// How much of `name` a prefix matches, or nil: a whole name or up to a `/`; `*.example.com` matches any
    /// subdomain host (with any port) and the match is the whole host.
    static func matchLength(_ name: String, prefix: String) -> Int? {
        if prefix.hasPrefix("*.") {
            let host = name.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let bare = host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
            return bare.hasSuffix(prefix.dropFirst()) ? host.count : nil
        }
        guard name.hasPrefix(prefix) else { return nil }
        if name.count == prefix.count { return prefix.count }
        return name.dropFirst(prefix.count).first == "/" ? prefix.count : nil
    }

    /// `name` with its matched prefix replaced by `location`, split into host and repository.
    static func rewrite(_ name: String, reg: Registry, location: String, insecure: Bool,
                        mirror: Bool) throws(BoxError) -> RegistryEndpoint {
        let matched = matchLength(name, prefix: reg.prefix) ?? 0
        let full = location.isEmpty ? name : location + name.dropFirst(matched)
        guard let slash = full.firstIndex(of: "/"), full.index(after: slash) != full.endIndex else {
            throw BoxError(.invalidArgument, "map \(name) to \(full) by \(reg.source): no repository left")
        }
        return RegistryEndpoint(host: String(full[..<slash]), repository: String(full[full.index(after: slash)...]),
                                insecure: insecure, isMirror: mirror)
    }
}

// MARK: - From TOML

extension RegistriesConfig {
    /// Parses the text of one registries.conf file; `path` names it in messages.
    public init(parsing text: String, path: String) throws(BoxError) {
        var parser = TOMLParser(text, path: path)
        let doc = try parser.parse()
        func fail(_ line: Int, _ why: String) -> BoxError {
            BoxError(.invalidArgument, "parse \(path) line \(line): \(why)")
        }
        if let search = doc["unqualified-search-registries"] {
            unqualifiedSearchRegistries = try search.strings(doc, "unqualified-search-registries", path: path)
                .map { RegistriesConfig.trimSlashes($0) }
            searchSet = true
        }
        if let mode = doc["short-name-mode"] {
            let s = try mode.string(doc, "short-name-mode", path: path)
            guard let m = ShortNameMode(rawValue: s) else {
                throw fail(doc.line("short-name-mode"), "short-name-mode must be enforcing, permissive or disabled")
            }
            shortNameMode = m
        }
        if let table = try doc.table("aliases", path: path) {
            for key in table.keys { aliases[key] = try table[key]!.string(table, key, path: path) }
        }
        for t in try doc.tables("registry", path: path) {
            registries.append(try RegistriesConfig.registry(t, path: path))
        }
        if let v1 = try doc.table("registries", path: path) {
            guard registries.isEmpty && !searchSet else {
                throw fail(v1.line, "mixing the v1 [registries.*] and v2 formats is not supported")
            }
            try readV1(v1, path: path)
        }
    }

    /// One `[[registry]]` table, checked as containers/image checks it.
    static func registry(_ t: TOMLTable, path: String) throws(BoxError) -> Registry {
        func fail(_ why: String) -> BoxError { BoxError(.invalidArgument, "parse \(path) line \(t.line): \(why)") }
        let location = try trimSlashes(t["location"]?.string(t, "location", path: path) ?? "")
        var prefix = try trimSlashes(t["prefix"]?.string(t, "prefix", path: path) ?? "")
        for v in [location, prefix] where v.hasPrefix("http://") || v.hasPrefix("https://") {
            throw fail("invalid location \(v): URI schemes are not supported")
        }
        if prefix.isEmpty {
            guard !location.isEmpty else { throw fail("[[registry]] needs a location or a prefix") }
            prefix = location
        } else if prefix.hasPrefix("*.") {
            guard !prefix.contains(where: { $0 == "/" || $0 == ":" || $0 == "@" }) else {
                throw fail("wildcard prefix \(prefix) must be of the form *.example.com")
            }
        } else if location.isEmpty {
            throw fail("[[registry]] with prefix \(prefix) needs a location")
        }
        let byDigestOnly = try t["mirror-by-digest-only"]?.bool(t, "mirror-by-digest-only", path: path) ?? false
        var mirrors: [Mirror] = []
        for m in try t.tables("mirror", path: path) {
            func mfail(_ why: String) -> BoxError { BoxError(.invalidArgument, "parse \(path) line \(m.line): \(why)") }
            let loc = try trimSlashes(m["location"]?.string(m, "location", path: path) ?? "")
            guard !loc.isEmpty else { throw mfail("[[registry.mirror]] needs a location") }
            guard !loc.hasPrefix("http://") && !loc.hasPrefix("https://") else {
                throw mfail("invalid location \(loc): URI schemes are not supported")
            }
            var use: MirrorUse = byDigestOnly ? .digestOnly : .all
            if let v = m["pull-from-mirror"] {
                let s = try v.string(m, "pull-from-mirror", path: path)
                guard let u = MirrorUse(rawValue: s) else {
                    throw mfail("pull-from-mirror must be all, digest-only or tag-only, not \(s)")
                }
                guard !byDigestOnly else { throw mfail("pull-from-mirror cannot be used with mirror-by-digest-only") }
                use = u
            }
            mirrors.append(Mirror(location: loc, insecure: try m["insecure"]?.bool(m, "insecure", path: path) ?? false,
                                  use: use))
        }
        return Registry(prefix: prefix, location: location,
                        insecure: try t["insecure"]?.bool(t, "insecure", path: path) ?? false,
                        blocked: try t["blocked"]?.bool(t, "blocked", path: path) ?? false,
                        mirrors: mirrors, source: path)
    }

    /// The v1 format: `[registries.search]`, `[registries.insecure]`, `[registries.block]`, each `registries = […]`.
    mutating func readV1(_ v1: TOMLTable, path: String) throws(BoxError) {
        func list(_ name: String) throws(BoxError) -> [String]? {
            guard let t = try v1.table(name, path: path), let v = t["registries"] else { return nil }
            return try v.strings(t, "registries", path: path).map { RegistriesConfig.trimSlashes($0) }
        }
        if let search = try list("search") {
            unqualifiedSearchRegistries = search
            searchSet = true
        }
        func entry(_ host: String) -> Int {
            if let i = registries.firstIndex(where: { $0.prefix == host }) { return i }
            registries.append(Registry(prefix: host, location: host, insecure: false, blocked: false, mirrors: [],
                                       source: path))
            return registries.count - 1
        }
        for host in try list("block") ?? [] { registries[entry(host)].blocked = true }
        for host in try list("insecure") ?? [] { registries[entry(host)].insecure = true }
    }

    static func trimSlashes(_ s: String) -> String {
        var t = Substring(s)
        while t.last == "/" { t = t.dropLast() }
        return String(t)
    }
}
