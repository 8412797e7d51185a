import BoxCore

/// Dockerfile word processing, as BuildKit's shell lexer does it: quotes, the escape character, and `$`
/// substitution (`$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`, `${VAR:?msg}`).
/// `box build` uses it with the Dockerfile's escape character; `import` and `commit --change` with `\`.
public struct ShellWords: Sendable {
    /// `\` or `` ` ``, from the Dockerfile's `escape` directive.
    public var escape: Character

    public init(escape: Character = "\\") { self.escape = escape }

    /// Splits at unquoted whitespace, keeping quotes and escapes as written.
    public func split(_ s: String) throws(BoxError) -> [String] {
        var out: [String] = []
        var cur = ""
        var quote: Character?
        var escaped = false
        var inWord = false
        for ch in s {
            if escaped {
                cur.append(ch)
                escaped = false
            } else if ch == escape && quote != "'" {
                cur.append(ch)
                escaped = true
                inWord = true
            } else if let q = quote {
                cur.append(ch)
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                cur.append(ch)
                quote = ch
                inWord = true
            } else if ch == " " || ch == "\t" || ch == "\n" {
                if inWord { out.append(cur) }
                cur = ""
                inWord = false
            } else {
                cur.append(ch)
                inWord = true
            }
        }
        if let quote { throw unterminated(quote) }
        if inWord { out.append(cur) }
        return out
    }

    /// Each word of `s`, with its quotes removed and variables substituted.
    public func words(_ s: String, env: [String: String]) throws(BoxError) -> [String] {
        var out: [String] = []
        for w in try split(s) { out.append(try expand(w, env: env)) }
        return out
    }

    /// `s` as one word (whitespace kept), quotes removed, variables substituted.
    public func expand(_ s: String, env: [String: String]) throws(BoxError) -> String {
        var lexer = Lexer(chars: Array(s), env: env, escape: escape)
        return try lexer.word()
    }

    func unterminated(_ q: Character) -> BoxError {
        BoxError(.invalidArgument, "unexpected end of statement while looking for matching \(q == "'" ? "single" : "double")-quote")
    }

    struct Lexer {
        let chars: [Character]
        let env: [String: String]
        let escape: Character
        var i = 0

        init(chars: [Character], env: [String: String], escape: Character) {
            self.chars = chars
            self.env = env
            self.escape = escape
        }

        mutating func word(stopAtBrace: Bool = false) throws(BoxError) -> String {
            var cur = ""
            while i < chars.count {
                let ch = chars[i]
                if stopAtBrace && ch == "}" { break }
                switch ch {
                case "'":
                    i += 1
                    while i < chars.count && chars[i] != "'" { cur.append(chars[i]); i += 1 }
                    guard i < chars.count else { throw ShellWords(escape: escape).unterminated("'") }
                    i += 1
                case "\"":
                    i += 1
                    while i < chars.count && chars[i] != "\"" {
                        if chars[i] == escape, i + 1 < chars.count, ["\"", "$", escape].contains(chars[i + 1]) {
                            cur.append(chars[i + 1])
                            i += 2
                        } else if chars[i] == "$" {
                            cur += try dollar()
                        } else {
                            cur.append(chars[i])
                            i += 1
                        }
                    }
                    guard i < chars.count else { throw ShellWords(escape: escape).unterminated("\"") }
                    i += 1
                case escape:
                    if i + 1 < chars.count { cur.append(chars[i + 1]) } else { cur.append(ch) }
                    i += 2
                case "$":
                    cur += try dollar()
                default:
                    cur.append(ch)
                    i += 1
                }
            }
            return cur
        }

        static func isNameChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }

        /// At a `$`: its substitution; a `$` before anything but a name or `{` stays.
        mutating func dollar() throws(BoxError) -> String {
            i += 1
            guard i < chars.count else { return "$" }
            if chars[i] != "{" {
                guard Lexer.isNameChar(chars[i]) else { return "$" }
                var name = ""
                while i < chars.count && Lexer.isNameChar(chars[i]) { name.append(chars[i]); i += 1 }
                return env[name] ?? ""
            }
            i += 1
            var name = ""
            while i < chars.count && Lexer.isNameChar(chars[i]) { name.append(chars[i]); i += 1 }
            guard !name.isEmpty, i < chars.count else { throw bad() }
            if chars[i] == "}" {
                i += 1
                return env[name] ?? ""
            }
            var colon = false
            if chars[i] == ":" { colon = true; i += 1 }
            guard i < chars.count, ["-", "+", "?"].contains(chars[i]) else { throw bad() }
            let op = chars[i]
            i += 1
            let alt = try word(stopAtBrace: true)
            guard i < chars.count, chars[i] == "}" else { throw BoxError(.invalidArgument, "missing '}' in \"\(String(chars))\"") }
            i += 1
            let value = env[name]
            let unset = colon ? (value ?? "").isEmpty : value == nil
            switch op {
            case "-": return unset ? alt : value ?? ""
            case "+": return unset ? "" : alt
            default:
                if unset { throw BoxError(.invalidArgument, "\(name): \(alt.isEmpty ? "is not allowed to be unset" : alt)") }
                return value ?? ""
            }
        }

        func bad() -> BoxError { BoxError(.invalidArgument, "bad substitution in \"\(String(chars))\"") }
    }
}
