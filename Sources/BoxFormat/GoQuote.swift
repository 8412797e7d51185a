/// Go's quoting of strings and runes (`strconv.Quote`, `%q`, `%#U`).
enum GoQuote {
    private static let hex: [Character] = Array("0123456789abcdef")

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrint(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol,
            .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func hexDigits(_ value: UInt32, _ count: Int) -> String {
        var out = ""
        for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
            out.append(hex[Int((value >> UInt32(shift)) & 0xF)])
        }
        return out
    }

    /// Appends one scalar escaped as inside a Go quoted literal delimited by `quote`.
    static func appendEscaped(_ c: Unicode.Scalar, quote: Unicode.Scalar, asciiOnly: Bool, to out: inout String) {
        if c == quote || c == "\\" {
            out.append("\\")
            out.unicodeScalars.append(c)
            return
        }
        if isPrint(c) && (!asciiOnly || c.isASCII) {
            out.unicodeScalars.append(c)
            return
        }
        switch c {
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            if c.value < 0x20 || c.value == 0x7F {
                out += "\\x" + hexDigits(c.value, 2)
            } else if c.value < 0x10000 {
                out += "\\u" + hexDigits(c.value, 4)
            } else {
                out += "\\U" + hexDigits(c.value, 8)
            }
        }
    }

    /// `strconv.Quote`: a double-quoted Go string literal (`QuoteToASCII` when `asciiOnly`).
    static func quote(_ s: String, asciiOnly: Bool = false) -> String {
        var out = "\""
        for c in s.unicodeScalars { appendEscaped(c, quote: "\"", asciiOnly: asciiOnly, to: &out) }
        out += "\""
        return out
    }

    /// `strconv.QuoteRune`: a single-quoted rune literal.
    static func quoteRune(_ c: Unicode.Scalar, asciiOnly: Bool = false) -> String {
        var out = "'"
        appendEscaped(c, quote: "'", asciiOnly: asciiOnly, to: &out)
        return out + "'"
    }

    /// `%#U`: `U+0021 '!'`, or just `U+0007` when not printable.
    static func scalarName(_ c: Unicode.Scalar) -> String {
        var digits = String(c.value, radix: 16, uppercase: true)
        while digits.count < 4 { digits = "0" + digits }
        return isPrint(c) ? "U+\(digits) '\(Character(c))'" : "U+\(digits)"
    }
}
