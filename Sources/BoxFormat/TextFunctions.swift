/// Go's `strings.Split` and `strings.Title`, on Unicode scalars.
enum Text {
    /// `strings.Split`: every piece between separators, empties kept; an empty separator splits into scalars.
    static func split(_ s: String, _ sep: String) -> [String] {
        let scalars = Array(s.unicodeScalars)
        let separator = Array(sep.unicodeScalars)
        guard !separator.isEmpty else { return scalars.map { String(Character($0)) } }
        var pieces: [String] = []
        var start = 0
        var i = 0
        while i + separator.count <= scalars.count {
            if Array(scalars[i..<i + separator.count]) == separator {
                pieces.append(String(String.UnicodeScalarView(scalars[start..<i])))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        pieces.append(String(String.UnicodeScalarView(scalars[start...])))
        return pieces
    }

    /// `strings.Title`: upper-cases (title-cases) the first letter of each word.
    static func title(_ s: String) -> String {
        var out = ""
        var previous: Unicode.Scalar = " "
        for c in s.unicodeScalars {
            if isSeparator(previous) {
                out += c.properties.titlecaseMapping
            } else {
                out.unicodeScalars.append(c)
            }
            previous = c
        }
        return out
    }

    private static func isSeparator(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            let v = c.value
            let alphanumeric = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
            return !(alphanumeric || c == "_")
        }
        if c.properties.isAlphabetic || c.properties.numericType == .decimal { return false }
        return c.properties.isWhitespace
    }
}

/// Go's `html`, `js` and `urlquery` template escapers.
enum Escape {
    static func html(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\0": out += "\u{FFFD}"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func js(_ s: String) -> String {
        let hex: [Character] = Array("0123456789ABCDEF")
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if c.value < 0x20 {
                    out += "\\u00"
                    out.append(hex[Int(c.value >> 4)])
                    out.append(hex[Int(c.value & 0xF)])
                } else if c.isASCII || GoQuote.isPrint(c) {
                    out.unicodeScalars.append(c)
                } else {
                    var digits = String(c.value, radix: 16, uppercase: true)
                    while digits.count < 4 { digits = "0" + digits }
                    out += "\\u" + digits
                }
            }
        }
        return out
    }

    /// `url.QueryEscape`: unreserved bytes kept, space as `+`, others `%XX`.
    static func urlQuery(_ s: String) -> String {
        let hex: [Character] = Array("0123456789ABCDEF")
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "): out += "+"
            default:
                out += "%"
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }
}
