#if canImport(Glibc)
import Glibc
#endif
import BoxCore

/// `.dockerignore` (or `.containerignore`) rules, matched as Docker's patternmatcher does.
///
/// Each line is a pattern, cleaned like a path (`./a//b/` is `a/b`, a leading `/` dropped); `#` lines and blank
/// lines are skipped; `!` makes an exception. `*` matches any run of characters but `/`, `?` one character but
/// `/`, `[…]` a class, `\` quotes, and a `**` component any number of directories (none included). A path is
/// excluded when the last pattern that matches it, or one of its parent directories, is not an exception.
public struct IgnoreRules: Sendable, Equatable {
    public struct Pattern: Sendable, Equatable {
        public var components: [String]
        public var exclusion: Bool
    }

    public var patterns: [Pattern]

    public init(patterns: [Pattern] = []) { self.patterns = patterns }

    /// Whether any pattern is an exception (then an excluded directory must still be walked).
    public var hasExceptions: Bool { patterns.contains { $0.exclusion } }

    /// Parses the file's text.
    public init(parsing text: String) throws(BoxError) {
        var out: [Pattern] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.hasPrefix("#") { continue }
            line = ShellTrim.trim(line)
            if line.isEmpty { continue }
            var exclusion = false
            if line.hasPrefix("!") {
                exclusion = true
                line = ShellTrim.trim(String(line.dropFirst()))
                if line.isEmpty { throw BoxError(.invalidArgument, "illegal exclusion pattern: \"!\"") }
            }
            let comps = IgnoreRules.clean(line)
            if comps.isEmpty { continue }
            // a pattern must be valid: fnmatch says nothing, so check brackets by hand as Go's Match does
            for c in comps where c != "**" { try IgnoreRules.validate(c, line) }
            out.append(Pattern(components: comps, exclusion: exclusion))
        }
        patterns = out
    }

    /// Reads `.dockerignore`, else `.containerignore`, from a context directory (none: no rules). A file named
    /// after the Dockerfile with `.dockerignore` appended (`app.Dockerfile.dockerignore`) is preferred, as Docker does.
    public static func load(contextDir: String, dockerfile: String?) throws(BoxError) -> IgnoreRules {
        var names: [String] = []
        if let d = dockerfile { names.append(d + ".dockerignore") }
        names += [contextDir + "/.dockerignore", contextDir + "/.containerignore"]
        for n in names where Files.exists(n) {
            return try IgnoreRules(parsing: String(decoding: try Files.read(n), as: UTF8.self))
        }
        return IgnoreRules()
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out of the context.
    public func excludes(_ path: String) -> Bool {
        let parts = IgnoreRules.clean(path)
        if parts.isEmpty { return false }
        var matched = false
        for p in patterns where p.exclusion == matched {
            var match = IgnoreRules.match(p.components[...], parts[...])
            if !match && parts.count > 1 {
                for n in 1..<parts.count where IgnoreRules.match(p.components[...], parts[..<n]) {
                    match = true
                    break
                }
            }
            if match { matched = !p.exclusion }
        }
        return matched
    }

    /// A path's components, cleaned as Go's `filepath.Clean` (a `..` above the top is dropped).
    static func clean(_ s: String) -> [String] {
        var out: [String] = []
        for c in s.split(separator: "/") where c != "." {
            if c == ".." { _ = out.popLast() } else { out.append(String(c)) }
        }
        return out
    }

    /// Component-wise matching; `**` takes zero or more components.
    static func match(_ pat: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pat.first else { return path.isEmpty }
        if first == "**" {
            let rest = pat.dropFirst()
            if rest.isEmpty { return true }
            var p = path
            while true {
                if match(rest, p) { return true }
                if p.isEmpty { return false }
                p = p.dropFirst()
            }
        }
        guard let name = path.first else { return false }
        return fnmatch(first, name, 0) == 0 && match(pat.dropFirst(), path.dropFirst())
    }

    static func validate(_ c: String, _ line: String) throws(BoxError) {
        var open = false
        var escaped = false
        for ch in c {
            if escaped { escaped = false; continue }
            if ch == "\\" { escaped = true } else if ch == "[" { open = true } else if ch == "]" { open = false }
        }
        if open || escaped { throw BoxError(.invalidArgument, "syntax error in pattern: \(line)") }
    }
}

/// Trimming of spaces and tabs.
enum ShellTrim {
    static func trim(_ s: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(s.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
