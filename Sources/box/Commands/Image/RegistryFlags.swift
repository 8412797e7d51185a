#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxImage
import BoxOCI
import BoxRegistry

/// How to reach a registry and where credentials are kept (Podman's flags), for `login` and the rest.
struct ConnectionFlags: ParsableArguments {
    @Option(name: .customLong("tls-verify"), help: "Require HTTPS and verify certificates (default true; localhost registries may use plain HTTP)")
    var tlsVerify: Bool?
    @Option(name: .customLong("cert-dir"), help: "Use certificates at the path (*.crt, *.cert, *.key) to connect to the registry")
    var certDir: String?
    @Option(name: .customLong("authfile"), help: "Path of the authentication file (default: podman's auth.json, then ~/.docker/config.json)")
    var authfile: String?

    /// The endpoint of one registry host, with its certificates.
    func endpoint(host: String, insecure: Bool = false) -> Endpoint {
        Endpoint(host: host, options: CertDir.transportOptions(for: host, certDir: certDir, tlsVerify: tlsVerify), insecure: insecure)
    }
}

/// The flags every command that pulls or pushes shares: the connection, and `--creds`.
struct RegistryFlags: ParsableArguments {
    @OptionGroup var connection: ConnectionFlags
    @Option(name: .customLong("creds"), help: "Credentials (USERNAME[:PASSWORD]) to use for the registry")
    var creds: String?

    /// A client for one registry host, with its certificates and credentials.
    func client(host: String, repository: String?, insecure: Bool = false) throws(BoxError) -> RegistryClient {
        RegistryClient(endpoint: connection.endpoint(host: host, insecure: insecure),
                       credentials: try credentials(host: host, repository: repository))
    }

    /// `--creds`, else what the auth files hold for the registry.
    func credentials(host: String, repository: String?) throws(BoxError) -> Credentials? {
        if let creds {
            let parts = creds.split(separator: ":", maxSplits: 1).map(String.init)
            guard let user = parts.first, !user.isEmpty else { throw BoxError(.invalidArgument, "--creds: user name is empty") }
            return Credentials(username: user, password: parts.count > 1 ? parts[1] : "")
        }
        return try AuthStore(authfile: connection.authfile).credentials(for: host, repository: repository)
    }

    /// Where to pull `ref` from: the mirrors registries.conf names, then the registry itself.
    func sources(for ref: Reference, config: RegistriesConfig) throws(BoxError) -> [PullSource] {
        let endpoints = try config.endpoints(for: ref.domain, repository: ref.path, byDigest: ref.digest != nil)
        var out: [PullSource] = []
        for e in endpoints {
            out.append(PullSource(client: try client(host: e.host, repository: e.repository, insecure: e.insecure),
                                  repository: e.repository))
        }
        return out
    }

    /// Parses an image name for pulling: a short name takes registries.conf's first unqualified-search
    /// registry when one is set, else Docker Hub.
    static func reference(_ name: String, config: RegistriesConfig) throws(BoxError) -> Reference {
        let ref = try Reference(parsing: name)
        let first = name.split(separator: "/").first.map(String.init) ?? ""
        let explicit = name.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if !explicit, let domain = config.defaultDomain, domain != Reference.defaultDomain {
            return try Reference(parsing: "\(domain)/\(name)")
        }
        return ref
    }
}

/// Pulling an image, shared by `box pull` and `box run --pull`.
enum Puller {
    /// Pulls `name`, printing Docker's progress lines (or nothing when `quiet`); returns the image.
    static func pull(_ name: String, flags: RegistryFlags, platform: Platform?, quiet: Bool,
                     store: ImageStore, to fd: Int32 = 1, preface: String? = nil) throws(BoxError) -> PullResult {
        let config = try RegistriesConfig.load()
        let ref = try RegistryFlags.reference(name, config: config)
        let last = name.split(separator: "/").last ?? ""
        // `box pull` notes the default tag; `run` says instead that the image was not found (after the manifest)
        if !quiet && preface == nil && !last.contains(":") && !last.contains("@") { Output.write(fd, "Using default tag: latest\n") }
        let what = ref.digest.map { $0.description } ?? ref.tag ?? "latest"
        let progress: PullProgressView? = quiet ? nil : PullProgressView(fd: fd, header: (preface ?? "") + "\(what): Pulling from \(ref.path)\n")
        var lastError: BoxError?
        for source in try flags.sources(for: ref, config: config) {
            do throws(BoxError) {
                let result = try store.pull(ref, from: source, platform: platform ?? .host, strictPlatform: platform != nil,
                                            progress: progress)
                progress?.finish()
                if !quiet {
                    Output.write(fd, "Digest: \(result.digest)\n")
                    let status = result.downloaded ? "Downloaded newer image for" : "Image is up to date for"
                    Output.write(fd, "Status: \(status) \(ref.familiar)\n\(ref.description)\n")
                }
                return result
            } catch {
                progress?.finish()
                lastError = error
            }
        }
        throw lastError ?? BoxError(.notFound, "\(name): no registry to pull from")
    }
}

extension Platform {
    /// Parses `--platform os/arch[/variant]` (any case); nil when not given (the host's).
    static func parse(_ s: String?) throws(BoxError) -> Platform? {
        guard let s, !s.isEmpty else { return nil }
        let parts = s.lowercased().split(separator: "/").map(String.init)
        guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw BoxError(.invalidArgument, "invalid platform \"\(s)\": want os/arch[/variant]")
        }
        return Platform(architecture: parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }
}

extension Puller {
    /// `run`/`create --pull`: missing (the default), always, newer (as always: the registry decides), never.
    /// Progress goes to stderr, as Docker's does, so stdout stays the container's.
    static func ensure(_ name: String, policy: String, flags: RegistryFlags, platform: String?,
                       store: ImageStore) throws(BoxError) {
        switch policy {
        case "missing":
            if (try? store.resolve(name)) != nil { return }
        case "always", "newer":
            break
        case "never":
            return
        default:
            throw BoxError(.invalidArgument, "invalid pull policy \"\(policy)\": use missing, always, newer or never")
        }
        // an image ID is never pulled
        if ImageStoreID.looksLikeID(name) { return }
        let familiar = (try? Reference(parsing: name))?.familiar ?? name
        let preface = policy == "missing" ? "Unable to find image '\(familiar)' locally\n" : ""
        _ = try pull(name, flags: flags, platform: try Platform.parse(platform), quiet: false, store: store, to: 2, preface: preface)
    }
}

/// Whether a name can only be an image ID (64 hex, or `sha256:` and hex).
enum ImageStoreID {
    static func looksLikeID(_ s: String) -> Bool {
        let hex = s.hasPrefix("sha256:") ? String(s.dropFirst(7)) : s
        return (s.hasPrefix("sha256:") || hex.count == 64) && !hex.isEmpty
            && hex.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
