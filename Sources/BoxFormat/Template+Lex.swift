/// A token of Go template syntax.
struct Token: Equatable {
    enum Kind: Equatable {
        case text, leftDelim, rightDelim, space, identifier, keyword, field, variable, dot
        case string, rawString, charConstant, number, bool, nilValue
        case pipe, leftParen, rightParen, declare, assign, char, eof, error
    }

    let kind: Kind
    let text: String

    /// The token as Go's parser names it in `unexpected …` messages.
    var described: String {
        switch kind {
        case .eof: return "EOF"
        case .error: return text
        case .keyword: return "<\(text)>"
        default:
            let scalars = Array(text.unicodeScalars)
            if scalars.count > 10 {
                return GoQuote.quote(String(String.UnicodeScalarView(scalars[0..<10]))) + "..."
            }
            return GoQuote.quote(text)
        }
    }
}

/// Splits template text into tokens, as Go's `text/template/parse` lexer does; a lexing error ends the
/// stream with an `.error` token so the parser reports errors in source order.
struct Lexer {
    static let keywords: Set<String> = [
        "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
    ]

    private let s: [Unicode.Scalar]
    private var pos = 0
    private var parenDepth = 0
    private(set) var tokens: [Token] = []

    init(_ source: String) {
        s = Array(source.unicodeScalars)
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\r" || c == "\n" }

    static func isAlphaNumeric(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic || c.properties.numericType == .decimal
    }

    private func at(_ i: Int) -> Unicode.Scalar? { i < s.count ? s[i] : nil }

    private func hasPrefix(_ p: String, at i: Int) -> Bool {
        var j = i
        for c in p.unicodeScalars {
            guard at(j) == c else { return false }
            j += 1
        }
        return true
    }

    private func text(_ from: Int, _ to: Int) -> String { String(String.UnicodeScalarView(s[from..<to])) }

    private mutating func emit(_ kind: Token.Kind, _ from: Int) {
        tokens.append(Token(kind: kind, text: text(from, pos)))
    }

    private mutating func fail(_ message: String) { tokens.append(Token(kind: .error, text: message)) }

    /// Right delimiter here: `}}` or ` -}}` (trim), as (length, trims).
    private func rightDelim(at i: Int) -> (Int, Bool)? {
        if let c = at(i), Lexer.isSpace(c), hasPrefix("-}}", at: i + 1) { return (4, true) }
        if hasPrefix("}}", at: i) { return (2, false) }
        return nil
    }

    /// Lexes everything; the last token is `.eof` or `.error`.
    mutating func run() -> [Token] {
        var trimLeading = false
        while true {
            var start = pos
            if trimLeading {
                while let c = at(start), Lexer.isSpace(c) { start += 1 }
                trimLeading = false
            }
            var open = start
            while open < s.count && !hasPrefix("{{", at: open) { open += 1 }
            let trims = open < s.count && at(open + 2) == "-" && at(open + 3).map(Lexer.isSpace) == true
            var end = open
            if trims { while end > start, Lexer.isSpace(s[end - 1]) { end -= 1 } }
            if end > start { tokens.append(Token(kind: .text, text: text(start, end))) }
            if open >= s.count {
                tokens.append(Token(kind: .eof, text: ""))
                return tokens
            }
            pos = open + (trims ? 4 : 2)
            if hasPrefix("/*", at: pos) {
                guard let after = comment() else { return tokens }
                trimLeading = after
                continue
            }
            tokens.append(Token(kind: .leftDelim, text: "{{"))
            guard let after = insideAction() else { return tokens }
            trimLeading = after
        }
    }

    /// Skips `/* … */` and its closing delimiter; returns whether it trims, or nil after an error.
    private mutating func comment() -> Bool? {
        var i = pos + 2
        while i < s.count && !hasPrefix("*/", at: i) { i += 1 }
        guard i < s.count else {
            fail("unclosed comment")
            return nil
        }
        pos = i + 2
        guard let (length, trims) = rightDelim(at: pos) else {
            fail("comment ends before closing delimiter")
            return nil
        }
        pos += length
        return trims
    }

    /// Lexes one action up to and including its right delimiter; returns whether it trims, or nil after an error.
    private mutating func insideAction() -> Bool? {
        while true {
            if let (length, trims) = rightDelim(at: pos) {
                if parenDepth > 0 {
                    fail("unclosed left paren")
                    return nil
                }
                pos += length
                tokens.append(Token(kind: .rightDelim, text: "}}"))
                return trims
            }
            guard let c = at(pos) else {
                fail("unclosed action")
                return nil
            }
            let start = pos
            pos += 1
            switch c {
            case _ where Lexer.isSpace(c):
                // A space before `-}}` belongs to the delimiter.
                while let n = at(pos), Lexer.isSpace(n), rightDelim(at: pos) == nil { pos += 1 }
                emit(.space, start)
            case "=": emit(.assign, start)
            case ":":
                guard at(pos) == "=" else {
                    fail("expected :=")
                    return nil
                }
                pos += 1
                emit(.declare, start)
            case "|": emit(.pipe, start)
            case "\"", "'":
                guard quoted(c) else { return nil }
                emit(c == "\"" ? .string : .charConstant, start)
            case "`":
                while let n = at(pos), n != "`" { pos += 1 }
                guard pos < s.count else {
                    fail("unterminated raw quoted string")
                    return nil
                }
                pos += 1
                emit(.rawString, start)
            case "$":
                guard word(.variable, start) else { return nil }
            case ".":
                if let n = at(pos), n.properties.numericType == .decimal {
                    pos = start
                    guard number() else { return nil }
                } else {
                    guard word(.field, start) else { return nil }
                }
            case "+", "-", "0"..."9":
                pos = start
                guard number() else { return nil }
            case "(":
                parenDepth += 1
                emit(.leftParen, start)
            case ")":
                parenDepth -= 1
                if parenDepth < 0 {
                    fail("unexpected right paren")
                    return nil
                }
                emit(.rightParen, start)
            case _ where Lexer.isAlphaNumeric(c):
                guard word(.identifier, start) else { return nil }
            case _ where c.value < 0x7F && c.value >= 0x20:
                emit(.char, start)
            default:
                fail("bad character \(GoQuote.scalarName(c))")
                return nil
            }
        }
    }

    private func atTerminator() -> Bool {
        guard let c = at(pos) else { return true }
        if Lexer.isSpace(c) || ".,|:()".unicodeScalars.contains(c) { return true }
        return hasPrefix("}}", at: pos)
    }

    /// A field `.Name`, variable `$name`, or identifier/keyword; `.` and `$` alone are allowed.
    private mutating func word(_ kind: Token.Kind, _ start: Int) -> Bool {
        if kind != .identifier && atTerminator() {
            emit(kind == .field ? .dot : .variable, start)
            return true
        }
        while let c = at(pos), Lexer.isAlphaNumeric(c) { pos += 1 }
        guard atTerminator() else {
            fail("bad character \(GoQuote.scalarName(s[pos]))")
            return false
        }
        guard kind == .identifier else {
            emit(kind, start)
            return true
        }
        switch text(start, pos) {
        case "true", "false": emit(.bool, start)
        case "nil": emit(.nilValue, start)
        case let w where Lexer.keywords.contains(w): emit(.keyword, start)
        default: emit(.identifier, start)
        }
        return true
    }

    /// A quoted string or character constant; `pos` is just past the opening quote.
    private mutating func quoted(_ quote: Unicode.Scalar) -> Bool {
        let name = quote == "\"" ? "unterminated quoted string" : "unterminated character constant"
        while let c = at(pos), c != quote {
            pos += 1
            if c == "\\" {
                guard let n = at(pos), n != "\n" else {
                    fail(name)
                    return false
                }
                pos += 1
            } else if c == "\n" {
                fail(name)
                return false
            }
        }
        guard pos < s.count else {
            fail(name)
            return false
        }
        pos += 1
        return true
    }

    /// A number: sign, `0x`/`0o`/`0b` integers, decimals with fraction and exponent, `_` separators.
    private mutating func number() -> Bool {
        let start = pos
        if at(pos) == "+" || at(pos) == "-" { pos += 1 }
        var digits = "0123456789_"
        if at(pos) == "0", let b = at(pos + 1), "xXoObB".unicodeScalars.contains(b) {
            pos += 2
            switch b {
            case "x", "X": digits = "0123456789abcdefABCDEF_"
            case "o", "O": digits = "01234567_"
            default: digits = "01_"
            }
            while let c = at(pos), digits.unicodeScalars.contains(c) { pos += 1 }
        } else {
            while let c = at(pos), digits.unicodeScalars.contains(c) { pos += 1 }
            if at(pos) == "." {
                pos += 1
                while let c = at(pos), digits.unicodeScalars.contains(c) { pos += 1 }
            }
            if at(pos) == "e" || at(pos) == "E" {
                pos += 1
                if at(pos) == "+" || at(pos) == "-" { pos += 1 }
                while let c = at(pos), digits.unicodeScalars.contains(c) { pos += 1 }
            }
        }
        if let c = at(pos), Lexer.isAlphaNumeric(c) || c == "." {
            pos += 1
            fail("bad number syntax: \(GoQuote.quote(text(start, pos)))")
            return false
        }
        emit(.number, start)
        return true
    }
}
