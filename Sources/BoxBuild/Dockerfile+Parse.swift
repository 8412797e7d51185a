import BoxCore

extension Dockerfile {
    /// The instructions a Dockerfile may hold.
    public static let keywords: Set<String> = [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
        "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ]

    /// Parses Dockerfile text as BuildKit's parser does: parser directives at the top, comments, line
    /// continuations (the escape character at the end of a line; comment and empty lines inside a continued
    /// instruction are skipped), `--flags`, and heredocs for RUN, COPY and ADD.
    public static func parse(_ text: String, name: String = "Dockerfile") throws(BoxError) -> Dockerfile {
        // "\r\n" is one Character in Swift: both end a line
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        var df = Dockerfile(instructions: [], name: name)
        var i = 0
        // parser directives: only before anything else, one per line
        while i < lines.count, let (key, value) = directive(lines[i]) {
            if df.directives[key] != nil { throw dockerfileError(name, i + 1, "only one \(key) parser directive can be used") }
            df.directives[key] = value
            i += 1
        }
        if let e = df.directives["escape"] {
            guard e == "\\" || e == "`" else {
                throw dockerfileError(name, 1, "invalid escape token '\(e)' does not match ` or \\")
            }
            df.escape = Character(e)
        }
        while i < lines.count {
            let start = i
            var line = String(lines[i].drop { $0 == " " || $0 == "\t" })
            i += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            // continuations: the escape character ending a line joins the next one
            while endsWithEscape(line, df.escape) {
                line = String(trimRight(line).dropLast())
                while i < lines.count {
                    let t = lines[i].drop { $0 == " " || $0 == "\t" }
                    if t.isEmpty || t.hasPrefix("#") { i += 1 } else { break }
                }
                guard i < lines.count else { break }
                line += lines[i]
                i += 1
            }
            var inst = try instruction(line, lineNumber: start + 1, file: name)
            if ["RUN", "COPY", "ADD"].contains(inst.keyword) {
                for (marker, strip, expand) in heredocMarkers(inst.args) {
                    var body = ""
                    var closed = false
                    while i < lines.count {
                        var l = String(lines[i])
                        i += 1
                        if strip { l = String(l.drop { $0 == "\t" }) }
                        if l == marker { closed = true; break }
                        body += l + "\n"
                    }
                    guard closed else { throw dockerfileError(name, start + 1, "unterminated heredoc \(marker)") }
                    inst.heredocs.append(Heredoc(name: marker, content: body, expand: expand))
                }
            }
            df.instructions.append(inst)
        }
        return df
    }

    /// `# key=value` at the top of the file; nil for anything else.
    static func directive(_ line: Substring) -> (String, String)? {
        guard line.hasPrefix("#") else { return nil }
        let body = line.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard let eq = body.firstIndex(of: "=") else { return nil }
        let key = trimRight(String(body[..<eq])).lowercased()
        guard ["syntax", "escape", "check"].contains(key) else { return nil }
        let value = trimRight(String(body[body.index(after: eq)...].drop { $0 == " " || $0 == "\t" }))
        return value.isEmpty ? nil : (key, value)
    }

    static func trimRight(_ s: String) -> String {
        String(s.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    static func endsWithEscape(_ line: String, _ escape: Character) -> Bool {
        trimRight(line).last == escape
    }

    /// Keyword, flags and arguments of one joined line.
    static func instruction(_ line: String, lineNumber: Int, file: String) throws(BoxError) -> Instruction {
        let word = String(line.prefix { $0 != " " && $0 != "\t" })
        let keyword = word.uppercased()
        guard keywords.contains(keyword) else {
            throw dockerfileError(file, lineNumber, "unknown instruction: \(word)")
        }
        var rest = Substring(line.dropFirst(word.count)).drop { $0 == " " || $0 == "\t" }
        var flags: [String] = []
        // ONBUILD's flags belong to its trigger
        while keyword != "ONBUILD" && rest.hasPrefix("--") {
            let f = String(rest.prefix { $0 != " " && $0 != "\t" })
            if f == "--" { break }
            flags.append(f)
            rest = rest.dropFirst(f.count).drop { $0 == " " || $0 == "\t" }
        }
        return Instruction(keyword: keyword, flags: flags, args: trimRight(String(rest)), line: lineNumber)
    }

    /// The heredoc markers of a line: `<<EOF`, `<<-EOF` (leading tabs stripped), `<<"EOF"` / `<<'EOF'` (no
    /// expansion). `<<<` is a here-string, not a heredoc.
    static func heredocMarkers(_ args: String) -> [(String, Bool, Bool)] {
        let c = Array(args)
        var out: [(String, Bool, Bool)] = []
        var i = 0
        var quote: Character?
        while i + 1 < c.count {
            if let q = quote {
                if c[i] == q { quote = nil }
                i += 1
                continue
            }
            if c[i] == "'" || c[i] == "\"" { quote = c[i]; i += 1; continue }
            guard c[i] == "<", c[i + 1] == "<", i + 2 < c.count else { i += 1; continue }
            if c[i + 2] == "<" {
                // a here-string (`<<<`): skip the whole run
                while i < c.count && c[i] == "<" { i += 1 }
                continue
            }
            var j = i + 2
            var strip = false
            if j < c.count && c[j] == "-" { strip = true; j += 1 }
            var q: Character?
            if j < c.count && (c[j] == "\"" || c[j] == "'") { q = c[j]; j += 1 }
            var name = ""
            while j < c.count, c[j].isLetter || c[j].isNumber || c[j] == "_" || c[j] == "." || c[j] == "-" {
                name.append(c[j])
                j += 1
            }
            if let qq = q {
                guard j < c.count, c[j] == qq else { i = j; continue }
                j += 1
            }
            if !name.isEmpty { out.append((name, strip, q == nil)) }
            i = j
        }
        return out
    }
}
