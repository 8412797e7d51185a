import BoxCore
import BoxOCI

/// Dockerfile instructions applied to an image config, as `docker import --change` and `docker commit --change`
/// take them: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR and STOPSIGNAL. Arguments are Dockerfile words: quotes group,
/// `\` escapes, and `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}` (`ShellWords`) expand from the config's Env.
/// `box build` uses the same rules for these instructions, through the public helpers below.
public enum ConfigChanges {
    /// Applies each change in order.
    public static func apply(_ changes: [String], to c: inout ContainerConfig) throws(BoxError) {
        var cmdSet = false
        for change in changes { try apply(change, to: &c, cmdSet: &cmdSet) }
    }

    static func apply(_ change: String, to c: inout ContainerConfig, cmdSet: inout Bool) throws(BoxError) {
        let line = change.drop { $0.isWhitespace }
        guard !line.isEmpty else { return }
        let word = String(line.prefix { !$0.isWhitespace })
        let rest = trimmed(line.dropFirst(word.count))
        let instruction = word.uppercased()
        let env = environment(c.Env)
        func needsArgument() throws(BoxError) {
            if rest.isEmpty { throw BoxError(.invalidArgument, "\(instruction) requires at least one argument") }
        }
        switch instruction {
        case "CMD":
            try needsArgument()
            c.Cmd = command(rest)
            cmdSet = true
        case "ENTRYPOINT":
            try needsArgument()
            c.Entrypoint = command(rest)
            // as in a Dockerfile: a new entrypoint drops a Cmd that no CMD of the same changes set
            if !cmdSet { c.Cmd = nil }
        case "ENV":
            try needsArgument()
            var list = c.Env ?? []
            for (k, v) in try pairs(rest, instruction, env: env) {
                list.removeAll { $0 == k || $0.hasPrefix(k + "=") }
                list.append("\(k)=\(v)")
            }
            c.Env = list
        case "LABEL":
            try needsArgument()
            var labels = c.Labels ?? [:]
            for (k, v) in try pairs(rest, instruction, env: env) { labels[k] = v }
            c.Labels = labels
        case "EXPOSE":
            try needsArgument()
            var ports = c.ExposedPorts ?? [:]
            for p in try exposedPorts(rest, env: env) { ports[p] = Empty() }
            c.ExposedPorts = ports
        case "ONBUILD":
            try needsArgument()
            // the trigger is kept as written
            _ = try onBuildTrigger(rest)
            c.OnBuild = (c.OnBuild ?? []) + [rest]
        case "USER":
            c.User = try single(rest, instruction, env: env)
        case "VOLUME":
            try needsArgument()
            var m = c.Volumes ?? [:]
            for v in try volumes(rest, env: env) { m[v] = Empty() }
            c.Volumes = m
        case "WORKDIR":
            let dir = try single(rest, instruction, env: env)
            c.WorkingDir = clean(dir.hasPrefix("/") ? dir : (c.WorkingDir ?? "/") + "/" + dir)
        case "STOPSIGNAL":
            c.StopSignal = try stopSignal(rest, env: env)
        default:
            // Docker's parser lowercases the instruction it names
            throw BoxError(.invalidArgument, "\(word.lowercased()) is not a valid change command")
        }
    }

    /// The exec form (a JSON array of strings) as it is; the shell form run by `/bin/sh -c`.
    static func command(_ rest: String) -> [String] {
        jsonArray(rest) ?? ["/bin/sh", "-c", rest]
    }

    /// A JSON array of strings, or nil when `s` is not one (then it is the shell form).
    static func jsonArray(_ s: String) -> [String]? {
        let t = s.drop { $0.isWhitespace }
        guard t.hasPrefix("[") else { return nil }
        return try? JSON.decode([String].self, from: Array(t.utf8), what: "change")
    }

    /// One argument: USER, WORKDIR and STOPSIGNAL take exactly one word.
    public static func single(_ rest: String, _ instruction: String, env: [String: String],
                              words: ShellWords = ShellWords()) throws(BoxError) -> String {
        let w = try words.words(rest, env: env)
        guard w.count == 1 else { throw BoxError(.invalidArgument, "\(instruction) requires exactly one argument") }
        return w[0]
    }

    /// `NAME=VALUE…`, or the legacy `NAME VALUE` whose value is the rest of the line (ENV and LABEL).
    public static func pairs(_ rest: String, _ instruction: String, env: [String: String],
                             words: ShellWords = ShellWords()) throws(BoxError) -> [(String, String)] {
        let raw = try words.split(rest)
        guard let first = raw.first else { throw BoxError(.invalidArgument, "\(instruction) requires at least one argument") }
        if !first.contains("=") {
            let name = try words.expand(first, env: env)
            let v = trimmed(rest.drop { $0.isWhitespace }.dropFirst(first.count))
            guard !v.isEmpty else { throw BoxError(.invalidArgument, "\(instruction) must have two arguments") }
            return [(name, try words.expand(v, env: env))]
        }
        var out: [(String, String)] = []
        for w in raw {
            guard let eq = w.firstIndex(of: "=") else {
                throw BoxError(.invalidArgument, "syntax error - can't find = in \"\(w)\". Must be of the form: name=value")
            }
            let k = try words.expand(String(w[..<eq]), env: env)
            guard !k.isEmpty else { throw BoxError(.invalidArgument, "\(instruction) names can not be blank") }
            out.append((k, try words.expand(String(w[w.index(after: eq)...]), env: env)))
        }
        return out
    }

    /// EXPOSE's arguments (`80`, `80/udp`, `8000-8002/tcp`): each port as the config keys it, `80/tcp`.
    public static func exposedPorts(_ rest: String, env: [String: String],
                                    words: ShellWords = ShellWords()) throws(BoxError) -> [String] {
        var out: [String] = []
        for spec in try words.words(rest, env: env) {
            let parts = spec.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw BoxError(.invalidArgument, "invalid proto: \(proto)") }
            let range = parts[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let lo = UInt16(range[0]), let hi = range.count == 2 ? UInt16(range[1]) : lo, lo <= hi else {
                throw BoxError(.invalidArgument, "invalid containerPort: \(parts[0])")
            }
            out += (lo...hi).map { "\($0)/\(proto)" }
        }
        return out
    }

    /// VOLUME's paths: a JSON array (each string expanded) or words; none may be empty.
    public static func volumes(_ rest: String, env: [String: String],
                               words: ShellWords = ShellWords()) throws(BoxError) -> [String] {
        var list: [String] = []
        if let exec = jsonArray(rest) {
            for w in exec { list.append(try words.expand(w, env: env)) }
        } else {
            list = try words.words(rest, env: env)
        }
        if list.contains(where: \.isEmpty) { throw BoxError(.invalidArgument, "VOLUME specified can not be an empty string") }
        return list
    }

    /// STOPSIGNAL's one word, checked as Docker checks it.
    public static func stopSignal(_ rest: String, env: [String: String], words: ShellWords = ShellWords()) throws(BoxError) -> String {
        let sig = try single(rest, "STOPSIGNAL", env: env, words: words)
        guard validSignal(sig) else { throw BoxError(.invalidArgument, "invalid signal: \(sig)") }
        return sig
    }

    /// ONBUILD's trigger instruction, upper case; Docker refuses ONBUILD, FROM and MAINTAINER as triggers.
    public static func onBuildTrigger(_ rest: String) throws(BoxError) -> String {
        let trigger = String(rest.drop { $0.isWhitespace }.prefix { !$0.isWhitespace }).uppercased()
        switch trigger {
        case "ONBUILD": throw BoxError(.invalidArgument, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        case "FROM", "MAINTAINER": throw BoxError(.invalidArgument, "\(trigger) isn't allowed as an ONBUILD trigger")
        default: return trigger
        }
    }

    /// A path made absolute and clean: no empty, `.` or `..` components.
    static func clean(_ path: String) -> String {
        var out: [Substring] = []
        for c in path.split(separator: "/") where c != "." {
            if c == ".." { _ = out.popLast() } else { out.append(c) }
        }
        return "/" + out.joined(separator: "/")
    }

    private static let signalNames: Set<String> = [
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL",
        "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1",
        "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
    ]

    /// Whether Docker would take the signal: a number 1–64, or a name with or without `SIG`, `RTMIN+n`, `RTMAX-n`.
    public static func validSignal(_ s: String) -> Bool {
        if let n = Int(s) { return (1...64).contains(n) }
        var name = s.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if signalNames.contains(name) { return true }
        for (base, sign) in [("RTMIN", "+"), ("RTMAX", "-")] where name.hasPrefix(base + sign) {
            if let n = Int(name.dropFirst(base.count + 1)), (1...30).contains(n) { return true }
        }
        return false
    }

    /// An Env list (`KEY=VALUE`, or a bare `KEY` for an empty value) as a dictionary; a later entry wins.
    public static func environment(_ env: [String]?) -> [String: String] {
        var out: [String: String] = [:]
        for e in env ?? [] {
            if let eq = e.firstIndex(of: "=") { out[String(e[..<eq])] = String(e[e.index(after: eq)...]) } else { out[e] = "" }
        }
        return out
    }

    static func trimmed<S: StringProtocol>(_ s: S) -> String {
        String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
