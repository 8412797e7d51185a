/// Go literal syntax inside actions: quoted strings, raw strings, character constants and numbers.
enum Literal {
    private static func error(_ message: String, _ source: String) -> TemplateError {
        TemplateError(.parsing, source: source, message: message)
    }

    /// The text of a `"…"` or `` `…` `` token, as `strconv.Unquote` gives it.
    static func unquote(_ token: Token, source: String) throws(TemplateError) -> String {
        let inner = Array(token.text.unicodeScalars.dropFirst().dropLast())
        if token.kind == .rawString {
            return String(String.UnicodeScalarView(inner.filter { $0 != "\r" }))
        }
        guard let bytes = unescape(inner, quote: "\"") else { throw error("invalid syntax", source) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A number or character-constant token as an `.int` or `.double`, following Go's idealConstant:
    /// a decimal with `.`, `e` or `E` is a float, everything else an integer.
    static func number(_ token: Token, source: String) throws(TemplateError) -> TemplateValue {
        let text = token.text
        if token.kind == .charConstant {
            let inner = Array(text.unicodeScalars.dropFirst().dropLast())
            guard let bytes = unescape(inner, quote: "'") else {
                throw error("malformed character constant: \(text)", source)
            }
            let scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
            guard scalars.count == 1 else { throw error("malformed character constant: \(text)", source) }
            return .int(Int64(scalars[0].value))
        }
        let bad = error("illegal number syntax: \(GoQuote.quote(text))", source)
        var body = Substring(text.replacingUnderscores())
        var negative = false
        if body.first == "+" || body.first == "-" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        let lower = body.lowercased()
        var radix = 10
        if lower.hasPrefix("0x") {
            radix = 16
        } else if lower.hasPrefix("0o") {
            radix = 8
        } else if lower.hasPrefix("0b") {
            radix = 2
        } else if lower.contains(".") || lower.contains("e") {
            guard let d = Double(String(body)), d.isFinite else { throw bad }
            return .double(negative ? -d : d)
        } else if lower.count > 1 && lower.hasPrefix("0") {
            radix = 8
            body = "0o" + body.dropFirst()
        }
        let digits = radix == 10 ? body : body.dropFirst(2)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }) else { throw bad }
        guard let magnitude = UInt64(digits, radix: radix) else {
            if radix == 10 && digits.allSatisfy(\.isNumber) {
                throw error("integer overflow: \(GoQuote.quote(text))", source)
            }
            throw bad
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw error("\(text) overflows int", source) }
            return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        guard let value = Int64(exactly: magnitude) else { throw error("\(text) overflows int", source) }
        return .int(value)
    }

    /// Resolves Go escapes; nil on a bad escape. `\x` and octal escapes give raw bytes, as in Go.
    static func unescape(_ scalars: [Unicode.Scalar], quote: Unicode.Scalar) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        func append(_ c: Unicode.Scalar) { out += Array(String(Character(c)).utf8) }
        func hexValue(_ count: Int) -> UInt32? {
            guard i + count <= scalars.count else { return nil }
            let text = String(String.UnicodeScalarView(scalars[i..<i + count]))
            i += count
            return UInt32(text, radix: 16)
        }
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            if c == quote { return nil }
            guard c == "\\" else {
                append(c)
                continue
            }
            guard i < scalars.count else { return nil }
            let e = scalars[i]
            i += 1
            switch e {
            case "a": out.append(0x07)
            case "b": out.append(0x08)
            case "f": out.append(0x0C)
            case "n": out.append(0x0A)
            case "r": out.append(0x0D)
            case "t": out.append(0x09)
            case "v": out.append(0x0B)
            case "\\": out.append(0x5C)
            case _ where e == quote: append(e)
            case "x":
                guard let v = hexValue(2) else { return nil }
                out.append(UInt8(v))
            case "u", "U":
                guard let v = hexValue(e == "u" ? 4 : 8), let scalar = Unicode.Scalar(v) else { return nil }
                append(scalar)
            case "0"..."7":
                guard i + 2 <= scalars.count else { return nil }
                let text = String(String.UnicodeScalarView(scalars[(i - 1)..<(i + 2)]))
                i += 2
                guard let v = UInt32(text, radix: 8), v <= 255 else { return nil }
                out.append(UInt8(v))
            default:
                return nil
            }
        }
        return out
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
