#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// A registry's certificate directory, as Docker and Podman lay it out (`certs.d/HOST[:PORT]/`):
/// `*.crt` files are extra CA certificates, a `NAME.cert` with its `NAME.key` is a client certificate.
public enum CertDir {
    /// The per-host directories searched, best first: (not root) `$HOME/.config/containers/certs.d`,
    /// then `/etc/containers/certs.d` and `/etc/docker/certs.d`, as Podman searches them.
    public static func searchRoots(environment env: [String: String], isRoot: Bool) -> [String] {
        var roots = ["/etc/containers/certs.d", "/etc/docker/certs.d"]
        if !isRoot, let home = env["HOME"], !home.isEmpty { roots.insert(home + "/.config/containers/certs.d", at: 0) }
        return roots
    }

    /// The certificate directory for `host` (`registry.example.com:5000`): the first that exists; nil if none.
    public static func directory(for host: String, environment env: [String: String] = Environment.current,
                                 isRoot: Bool = geteuid() == 0) -> String? {
        searchRoots(environment: env, isRoot: isRoot).map { "\($0)/\(host)" }.first { Files.isDirectory($0) }
    }

    /// The transport options for `host`: the CAs and client certificate of `certDir` (`--cert-dir`) if given,
    /// else of the host's directory under the search roots; `tlsVerify == false` (`--tls-verify=false`) turns
    /// verification off. Unreadable files, and a `.cert` without its `.key`, are passed over (and then the
    /// TLS handshake fails, naming the host).
    public static func transportOptions(for host: String, certDir: String?, tlsVerify: Bool?,
                                        environment env: [String: String] = Environment.current,
                                        isRoot: Bool = geteuid() == 0) -> TransportOptions {
        var options = TransportOptions()
        if tlsVerify == false { options.verifyTLS = false }
        guard let dir = certDir ?? directory(for: host, environment: env, isRoot: isRoot) else { return options }
        let names = (try? Files.list(dir)) ?? []
        for name in names where name.hasSuffix(".crt") {
            if let pem = try? Files.read("\(dir)/\(name)") { options.extraCAs.append(String(decoding: pem, as: UTF8.self)) }
        }
        for name in names where name.hasSuffix(".cert") && options.clientCert == nil {
            let key = String(name.dropLast(5)) + ".key"
            if names.contains(key) {
                options.clientCert = "\(dir)/\(name)"
                options.clientKey = "\(dir)/\(key)"
            }
        }
        return options
    }
}
