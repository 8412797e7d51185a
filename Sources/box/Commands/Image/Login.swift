#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOCI
import BoxRegistry

/// `box login`: check credentials with a registry and store them.
struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a registry")

    @Option(name: [.customShort("u"), .customLong("username")], help: "Username")
    var username: String?
    @Option(name: [.customShort("p"), .customLong("password")], help: "Password (prefer --password-stdin)")
    var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Take the password from stdin")
    var passwordStdin = false
    @OptionGroup var connection: ConnectionFlags
    @Argument(help: "SERVER (default docker.io)")
    var server: String?

    func run() throws {
        let host = Login.host(server)
        if passwordStdin && password != nil { throw BoxError(.invalidArgument, "--password and --password-stdin are mutually exclusive") }
        if passwordStdin && username == nil { throw BoxError(.invalidArgument, "must provide --username with --password-stdin") }
        var user = username
        var pass = password
        if passwordStdin {
            pass = Login.readAll(0).trimmingTrailingNewlines
        }
        if user == nil { user = try Login.prompt("Username: ", echo: true) }
        if pass == nil { pass = try Login.prompt("Password: ", echo: false) }
        guard let user, !user.isEmpty else { throw BoxError(.invalidArgument, "username is empty") }
        guard let pass, !pass.isEmpty else { throw BoxError(.invalidArgument, "password is empty") }
        let creds = Credentials(username: user, password: pass)
        let client = RegistryClient(endpoint: connection.endpoint(host: host), credentials: creds)
        try client.ping(scope: "")
        try AuthStore(authfile: connection.authfile).save(creds, for: host)
        Output.out("Login Succeeded\n")
    }

    /// The registry host of a login argument: `https://host/v1/` and `index.docker.io` as Docker accepts them.
    static func host(_ server: String?) -> String {
        guard var s = server, !s.isEmpty else { return Reference.defaultDomain }
        for p in ["https://", "http://"] where s.hasPrefix(p) { s = String(s.dropFirst(p.count)) }
        s = String(s.split(separator: "/").first ?? "")
        return s == "index.docker.io" || s == "registry-1.docker.io" ? Reference.defaultDomain : s
    }

    /// Asks on the terminal; without one, there is nothing to ask.
    static func prompt(_ text: String, echo: Bool) throws(BoxError) -> String {
        guard isatty(0) == 1 else {
            throw BoxError(.invalidArgument, "cannot prompt for \(text.lowercased().dropLast(2)): stdin is not a terminal (use --username and --password-stdin)")
        }
        Output.out(text)
        var old = termios()
        tcgetattr(0, &old)
        if !echo {
            var t = old
            t.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &t)
        }
        defer {
            if !echo {
                tcsetattr(0, TCSANOW, &old)
                Output.out("\n")
            }
        }
        var line: [UInt8] = []
        var c: UInt8 = 0
        while read(0, &c, 1) == 1 && c != 10 { line.append(c) }
        return String(decoding: line, as: UTF8.self).trimmingTrailingNewlines
    }

    static func readAll(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// `box logout`: forget a registry's credentials.
struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out from a registry")

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Remove the credentials of every registry")
    var all = false
    @Option(name: .customLong("authfile"), help: "Path of the authentication file")
    var authfile: String?
    @Argument(help: "SERVER (default docker.io)")
    var server: String?

    func run() throws {
        let store = AuthStore(authfile: authfile)
        if all {
            try store.removeAll()
            Output.out("Removed login credentials for all registries\n")
            return
        }
        let host = Login.host(server)
        if try store.remove(for: host) {
            Output.out("Removing login credentials for \(host)\n")
        } else {
            Output.out("Not logged in to \(host)\n")
        }
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while let l = s.last, l.isNewline { s = s.dropLast() }
        return String(s)
    }
}
