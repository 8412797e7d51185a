import BoxCore
import BoxOCI

/// Dockerfile instructions applied to an image config, as `docker import --change` and `docker commit --change`
/// take them: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR and STOPSIGNAL. Arguments are Dockerfile words: quotes group,
/// `\` escapes, and `$VAR`, `${VAR}`, `${VAR:-word}` and `${VAR:+word}` expand from the config's Env.
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
            for (k, v) in try pairs(rest, instruction, env) {
                list.removeAll { $0 == k || $0.hasPrefix(k + "=") }
                list.append("\(k)=\(v)")
            }
            c.Env = list
        case "LABEL":
            try needsArgument()
            var labels = c.Labels ?? [:]
            for (k, v) in try pairs(rest, instruction, env) { labels[k] = v }
            c.Labels = labels
        case "EXPOSE":
            try needsArgument()
            var ports = c.ExposedPorts ?? [:]
            for spec in try words(rest, env: env) { for p in try exposedPorts(spec) { ports[p] = Empty() } }
            c.ExposedPorts = ports
        case "ONBUILD":
            try needsArgument()
            // the trigger is kept as written; Docker refuses these three as triggers
            let trigger = String(rest.prefix { !$0.isWhitespace }).uppercased()
            switch trigger {
            case "ONBUILD": throw BoxError(.invalidArgument, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            case "FROM", "MAINTAINER": throw BoxError(.invalidArgument, "\(trigger) isn't allowed as an ONBUILD trigger")
            default: c.OnBuild = (c.OnBuild ?? []) + [rest]
            }
        case "USER":
            c.User = try single(rest, instruction, env)
        case "VOLUME":
            try needsArgument()
            var volumes = c.Volumes ?? [:]
            var list: [String] = []
            if let exec = jsonArray(rest) {
                for w in exec { list.append(try value(w, env: env)) }
            } else {
                list = try words(rest, env: env)
            }
            for v in list {
                if v.isEmpty { throw BoxError(.invalidArgument, "VOLUME specified can not be an empty string") }
                volumes[v] = Empty()
            }
            c.Volumes = volumes
        case "WORKDIR":
            let dir = try single(rest, instruction, env)
            c.WorkingDir = clean(dir.hasPrefix("/") ? dir : (c.WorkingDir ?? "/") + "/" + dir)
        case "STOPSIGNAL":
            let sig = try single(rest, instruction, env)
            guard validSignal(sig) else { throw BoxError(.invalidArgument, "invalid signal: \(sig)") }
            c.StopSignal = sig
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
        guard s.hasPrefix("[") else { return nil }
        return try? JSON.decode([String].self, from: Array(s.utf8), what: "change")
    }

    /// One argument: USER, WORKDIR and STOPSIGNAL take exactly one word.
    static func single(_ rest: String, _ instruction: String, _ env: [String: String]) throws(BoxError) -> String {
        let w = try words(rest, env: env)
        guard w.count == 1 else { throw BoxError(.invalidArgument, "\(instruction) requires exactly one argument") }
        return w[0]
    }

    /// `NAME=VALUE…`, or the legacy `NAME VALUE` whose value is the rest of the line.
    static func pairs(_ rest: String, _ instruction: String, _ env: [String: String]) throws(BoxError) -> [(String, String)] {
        let raw = try rawWords(rest)
        guard let first = raw.first else { throw BoxError(.invalidArgument, "\(instruction) requires at least one argument") }
        if !first.contains("=") {
            let name = try value(first, env: env)
            let v = trimmed(rest.dropFirst(first.count))
            guard !v.isEmpty else { throw BoxError(.invalidArgument, "\(instruction) must have two arguments") }
            return [(name, try value(v, env: env))]
        }
        var out: [(String, String)] = []
        for w in raw {
            guard let eq = w.firstIndex(of: "=") else {
                throw BoxError(.invalidArgument, "syntax error - can't find = in \"\(w)\". Must be of the form: name=value")
            }
            let k = try value(String(w[..<eq]), env: env)
            guard !k.isEmpty else { throw BoxError(.invalidArgument, "\(instruction) names can not be blank") }
            out.append((k, try value(String(w[w.index(after: eq)...]), env: env)))
        }
        return out
    }

    /// `80`, `80/udp`, `8000-8002/tcp`: each port as the config keys it, `80/tcp`.
    static func exposedPorts(_ spec: String) throws(BoxError) -> [String] {
        let parts = spec.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto) else { throw BoxError(.invalidArgument, "invalid proto: \(proto)") }
        let range = parts[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let lo = UInt16(range[0]), let hi = range.count == 2 ? UInt16(range[1]) : lo, lo <= hi else {
            throw BoxError(.invalidArgument, "invalid containerPort: \(parts[0])")
        }
        return (lo...hi).map { "\($0)/\(proto)" }
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
    static func validSignal(_ s: String) -> Bool {
        if let n = Int(s) { return (1...64).contains(n) }
        var name = s.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if signalNames.contains(name) { return true }
        for (base, sign) in [("RTMIN", "+"), ("RTMAX", "-")] where name.hasPrefix(base + sign) {
            if let n = Int(name.dropFirst(base.count + 1)), (1...30).contains(n) { return true }
        }
        return false
    }

    static func environment(_ env: [String]?) -> [String: String] {
        var out: [String: String] = [:]
        for e in env ?? [] {
            if let eq = e.firstIndex(of: "=") { out[String(e[..<eq])] = String(e[e.index(after: eq)...]) } else { out[e] = "" }
        }
        return out
    }

    static func trimmed<S: StringProtocol>(_ s: S) -> String {
        String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    // MARK: words

    /// Splits at unquoted whitespace, keeping quotes and escapes as written.
    static func rawWords(_ s: String) throws(BoxError) -> [String] {
        var out: [String] = []
        var cur = ""
        var quote: Character?
        var escaped = false
        for ch in s {
            if escaped {
                cur.append(ch)
                escaped = false
            } else if ch == "\\" && quote != "'" {
                cur.append(ch)
                escaped = true
            } else if let q = quote {
                cur.append(ch)
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                cur.append(ch)
                quote = ch
            } else if ch.isWhitespace {
                if !cur.isEmpty { out.append(cur) }
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        if quote != nil { throw BoxError(.invalidArgument, "unexpected end of statement while looking for matching \(quote == "'" ? "single" : "double")-quote") }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// The words of `s`, each with its quotes removed and variables expanded.
    static func words(_ s: String, env: [String: String]) throws(BoxError) -> [String] {
        var lexer = WordLexer(Array(s), env: env, split: true)
        return try lexer.run()
    }

    /// `s` as one word (whitespace kept), with quotes removed and variables expanded.
    static func value(_ s: String, env: [String: String]) throws(BoxError) -> String {
        var lexer = WordLexer(Array(s), env: env, split: false)
        return try lexer.run().first ?? ""
    }
}

/// Dockerfile word processing: quotes, escapes and `$` expansion.
struct WordLexer {
    let chars: [Character]
    let env: [String: String]
    let split: Bool
    var i = 0

    init(_ chars: [Character], env: [String: String], split: Bool) {
        self.chars = chars
        self.env = env
        self.split = split
    }

    mutating func run() throws(BoxError) -> [String] {
        var out: [String] = []
        var cur = ""
        var inWord = false
        while i < chars.count {
            let ch = chars[i]
            if split && ch.isWhitespace {
                if inWord { out.append(cur) }
                cur = ""
                inWord = false
                i += 1
                continue
            }
            inWord = true
            switch ch {
            case "'":
                i += 1
                while i < chars.count && chars[i] != "'" { cur.append(chars[i]); i += 1 }
                guard i < chars.count else { throw unterminated("single") }
                i += 1
            case "\"":
                i += 1
                while i < chars.count && chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count, ["\"", "\\", "$"].contains(chars[i + 1]) {
                        cur.append(chars[i + 1])
                        i += 2
                    } else if chars[i] == "$" {
                        cur += try expand()
                    } else {
                        cur.append(chars[i])
                        i += 1
                    }
                }
                guard i < chars.count else { throw unterminated("double") }
                i += 1
            case "\\":
                if i + 1 < chars.count { cur.append(chars[i + 1]) }
                i += 2
            case "$":
                cur += try expand()
            default:
                cur.append(ch)
                i += 1
            }
        }
        if inWord || !split { out.append(cur) }
        return out
    }

    private func unterminated(_ kind: String) -> BoxError {
        BoxError(.invalidArgument, "unexpected end of statement while looking for matching \(kind)-quote")
    }

    private static func isNameChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }

    /// At a `$`: the value of `$NAME`, `${NAME}`, `${NAME:-word}` or `${NAME:+word}`; a `$` before anything else is kept.
    private mutating func expand() throws(BoxError) -> String {
        i += 1
        guard i < chars.count else { return "$" }
        if chars[i] != "{" {
            guard WordLexer.isNameChar(chars[i]) else { return "$" }
            var name = ""
            while i < chars.count && WordLexer.isNameChar(chars[i]) { name.append(chars[i]); i += 1 }
            return env[name] ?? ""
        }
        i += 1
        var name = ""
        while i < chars.count && WordLexer.isNameChar(chars[i]) { name.append(chars[i]); i += 1 }
        if i < chars.count && chars[i] == "}" {
            i += 1
            return env[name] ?? ""
        }
        guard !name.isEmpty, i + 1 < chars.count, chars[i] == ":", chars[i + 1] == "-" || chars[i + 1] == "+" else {
            throw BoxError(.invalidArgument, "bad substitution in \"\(String(chars))\"")
        }
        let useDefault = chars[i + 1] == "-"
        i += 2
        var word: [Character] = []
        while i < chars.count && chars[i] != "}" { word.append(chars[i]); i += 1 }
        guard i < chars.count else { throw BoxError(.invalidArgument, "missing '}' in \"\(String(chars))\"") }
        i += 1
        var inner = WordLexer(word, env: env, split: false)
        let alt = try inner.run().first ?? ""
        let v = env[name] ?? ""
        if useDefault { return v.isEmpty ? alt : v }
        return v.isEmpty ? "" : alt
    }
}
