/// Go's `fmt.Sprintf` for template values: flags `-+# 0`, width and precision (also `*`), and the verbs
/// `%v %s %q %d %t %f %F %e %E %g %G %x %X %o %O %b %c %U %%`, with Go's `%!d(string=x)` style errors.
enum GoPrintf {
    struct Spec {
        var minus = false, plus = false, sharp = false, space = false, zero = false
        var width: Int?
        var precision: Int?
    }

    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        let f = Array(format.unicodeScalars)
        var out = ""
        var argIndex = 0
        var i = 0
        func nextInt() -> Int? {
            guard argIndex < args.count, case .int(let n) = args[argIndex] else { return nil }
            argIndex += 1
            return Int(clamping: n)
        }
        while i < f.count {
            let c = f[i]
            i += 1
            guard c == "%" else {
                out.unicodeScalars.append(c)
                continue
            }
            var spec = Spec()
            flags: while i < f.count {
                switch f[i] {
                case "-": spec.minus = true
                case "+": spec.plus = true
                case "#": spec.sharp = true
                case " ": spec.space = true
                case "0": spec.zero = true
                default: break flags
                }
                i += 1
            }
            if i < f.count, f[i] == "*" {
                i += 1
                if let w = nextInt() {
                    spec.width = abs(w)
                    if w < 0 { spec.minus = true }
                } else {
                    out += "%!(BADWIDTH)"
                }
            } else {
                spec.width = digits(f, &i)
            }
            if i < f.count, f[i] == "." {
                i += 1
                if i < f.count, f[i] == "*" {
                    i += 1
                    if let p = nextInt() {
                        spec.precision = p < 0 ? nil : p
                    } else {
                        out += "%!(BADPREC)"
                    }
                } else {
                    spec.precision = digits(f, &i) ?? 0
                }
            }
            if spec.minus { spec.zero = false }
            guard i < f.count else {
                out += "%!(NOVERB)"
                break
            }
            let verb = f[i]
            i += 1
            if verb == "%" {
                out += "%"
                continue
            }
            guard argIndex < args.count else {
                out += "%!\(Character(verb))(MISSING)"
                continue
            }
            out += Self.format(args[argIndex], verb, spec)
            argIndex += 1
        }
        if argIndex < args.count {
            let extra = args[argIndex...].map { $0 == .null ? "<nil>" : "\($0.goTypeName)=\(GoPrint.plain($0))" }
            out += "%!(EXTRA " + extra.joined(separator: ", ") + ")"
        }
        return out
    }

    private static func digits(_ f: [Unicode.Scalar], _ i: inout Int) -> Int? {
        var n: Int?
        while i < f.count, let d = Int(String(f[i])), f[i].isASCII {
            n = min((n ?? 0) * 10 + d, 1_000_000)
            i += 1
        }
        return n
    }

    private static func bad(_ value: TemplateValue, _ verb: Unicode.Scalar) -> String {
        if value == .null { return "%!\(Character(verb))(<nil>)" }
        return "%!\(Character(verb))(\(value.goTypeName)=\(GoPrint.plain(value)))"
    }

    /// Pads to the width with spaces (or zeros for `0`), left or right.
    static func pad(_ s: String, _ spec: Spec, zeroOK: Bool = true) -> String {
        let count = s.unicodeScalars.count
        guard let width = spec.width, width > count else { return s }
        let fill = String(repeating: spec.zero && zeroOK ? "0" : " ", count: width - count)
        return spec.minus ? s + fill : fill + s
    }

    /// Pads a signed number, putting zero padding between the sign and the digits.
    private static func padNumber(_ sign: String, _ body: String, _ spec: Spec) -> String {
        if spec.zero, let width = spec.width, width > sign.count + body.count {
            return sign + String(repeating: "0", count: width - sign.count - body.count) + body
        }
        return pad(sign + body, spec, zeroOK: false)
    }

    static func format(_ value: TemplateValue, _ verb: Unicode.Scalar, _ spec: Spec) -> String {
        switch value {
        case .null:
            return verb == "v" ? pad("<nil>", spec, zeroOK: false) : bad(value, verb)
        case .bool(let b):
            return verb == "v" || verb == "t" ? pad(b ? "true" : "false", spec, zeroOK: false) : bad(value, verb)
        case .int(let n):
            return integer(n, verb, spec) ?? bad(value, verb)
        case .double(let d):
            return float(d, verb, spec) ?? bad(value, verb)
        case .string(let s):
            return string(s, verb, spec) ?? bad(value, verb)
        case .array(let items):
            return "[" + items.map { format($0, verb, spec) }.joined(separator: " ") + "]"
        case .object(let pairs):
            let parts = TemplateValue.sortedPairs(pairs).map {
                format(.string($0.0), verb, spec) + ":" + format($0.1, verb, spec)
            }
            return "map[" + parts.joined(separator: " ") + "]"
        }
    }

    private static func integer(_ n: Int64, _ verb: Unicode.Scalar, _ spec: Spec) -> String? {
        let magnitude = n.magnitude
        var prefix = ""
        var body: String
        switch verb {
        case "v", "d": body = String(magnitude)
        case "b": body = String(magnitude, radix: 2); if spec.sharp { prefix = "0b" }
        case "o", "O":
            body = String(magnitude, radix: 8)
            if verb == "O" { prefix = "0o" } else if spec.sharp && body != "0" { prefix = "0" }
        case "x", "X":
            body = String(magnitude, radix: 16, uppercase: verb == "X")
            if spec.sharp { prefix = verb == "x" ? "0x" : "0X" }
        case "c", "q", "U":
            let scalar = UInt32(exactly: n).flatMap(Unicode.Scalar.init) ?? "\u{FFFD}"
            if verb == "c" { return pad(String(Character(scalar)), spec, zeroOK: false) }
            if verb == "q" { return pad(GoQuote.quoteRune(scalar, asciiOnly: spec.plus), spec, zeroOK: false) }
            var hex = String(magnitude, radix: 16, uppercase: true)
            while hex.count < max(4, spec.precision ?? 0) { hex = "0" + hex }
            let name = spec.sharp && GoQuote.isPrint(scalar) ? "U+\(hex) '\(Character(scalar))'" : "U+\(hex)"
            return pad(name, spec, zeroOK: false)
        default: return nil
        }
        if let precision = spec.precision {
            if precision == 0 && n == 0 { body = "" }
            while body.count < precision { body = "0" + body }
        }
        let sign = n < 0 ? "-" : (spec.plus ? "+" : (spec.space ? " " : ""))
        var adjusted = spec
        if spec.precision != nil { adjusted.zero = false }
        return padNumber(sign + prefix, body, adjusted)
    }

    private static func float(_ d: Double, _ verb: Unicode.Scalar, _ spec: Spec) -> String? {
        var text: String
        switch verb {
        case "v": text = GoFloat.format(d, "g", spec.precision ?? -1)
        case "g", "G": text = GoFloat.format(d, Character(verb), spec.precision ?? -1)
        case "e", "E": text = GoFloat.format(d, Character(verb), spec.precision ?? 6)
        case "f", "F": text = GoFloat.format(d, "f", spec.precision ?? 6)
        default: return nil
        }
        if verb == "G" || verb == "E" { text = text.uppercased() }
        if d.isNaN || d.isInfinite {
            var special = text
            if d.isNaN && (spec.plus || spec.space) { special = (spec.plus ? "+" : " ") + text }
            if d.isInfinite && d > 0 && !spec.plus && spec.space { special = " Inf" }
            return pad(special, spec, zeroOK: false)
        }
        var sign = ""
        if text.hasPrefix("-") {
            sign = "-"
            text.removeFirst()
        } else if spec.plus {
            sign = "+"
        } else if spec.space {
            sign = " "
        }
        return padNumber(sign, text, spec)
    }

    private static func string(_ s: String, _ verb: Unicode.Scalar, _ spec: Spec) -> String? {
        var text = s
        if let precision = spec.precision, verb != "x" && verb != "X" {
            text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(precision)))
        }
        switch verb {
        case "v", "s": return pad(text, spec)
        case "q":
            if spec.sharp, !text.contains("`"), text.unicodeScalars.allSatisfy({ $0 == "\t" || GoQuote.isPrint($0) }) {
                return pad("`" + text + "`", spec)
            }
            return pad(GoQuote.quote(text, asciiOnly: spec.plus), spec)
        case "x", "X":
            var bytes = Array(text.utf8)
            if let precision = spec.precision { bytes = Array(bytes.prefix(precision)) }
            let digits = bytes.map { b -> String in
                let h = String(b, radix: 16, uppercase: verb == "X")
                return h.count == 1 ? "0" + h : h
            }
            let prefix = spec.sharp ? (verb == "x" ? "0x" : "0X") : ""
            let joined = spec.space ? digits.map { prefix + $0 }.joined(separator: " ") : prefix + digits.joined()
            return pad(joined, spec)
        default: return nil
        }
    }
}
