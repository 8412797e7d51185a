/// Go's `strconv.FormatFloat` for float64, without libc: shortest digits come from Swift's own shortest
/// round-trip printing, fixed precision from the exact decimal expansion rounded half to even (as Go does).
enum GoFloat {
    /// Decimal digits `0.d₀d₁…` × 10^dp; no leading or trailing zeros; empty for zero.
    struct Digits {
        var d: [UInt8]
        var dp: Int
    }

    /// `strconv.FormatFloat(v, fmt, prec, 64)` for fmt in `e E f g G`; prec -1 means shortest.
    static func format(_ v: Double, _ fmt: Character, _ prec: Int) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        let neg = v.sign == .minus
        var prec = prec
        var digits: Digits
        let shortest = prec < 0
        if shortest {
            digits = shortestDigits(abs(v))
            switch fmt {
            case "e", "E": prec = max(digits.d.count - 1, 0)
            case "f": prec = max(digits.d.count - digits.dp, 0)
            default: prec = digits.d.count
            }
        } else {
            digits = exactDigits(abs(v))
            switch fmt {
            case "e", "E": round(&digits, prec + 1)
            case "f": round(&digits, digits.dp + prec)
            default:
                if prec == 0 { prec = 1 }
                round(&digits, prec)
            }
        }
        let body: String
        switch fmt {
        case "e", "E": body = fmtE(digits, prec, fmt)
        case "f": body = fmtF(digits, prec)
        default:
            var eprec = prec
            if eprec > digits.d.count && digits.d.count >= digits.dp { eprec = digits.d.count }
            if shortest { eprec = 6 }
            let exp = digits.dp - 1
            if exp < -4 || exp >= eprec {
                body = fmtE(digits, min(prec, digits.d.count) - 1, fmt == "G" ? "E" : "e")
            } else {
                body = fmtF(digits, max((prec > digits.dp ? digits.d.count : prec) - digits.dp, 0))
            }
        }
        return neg ? "-" + body : body
    }

    /// A float as Go's `encoding/json` writes it: `%f` style unless tiny or huge, then `1e-7` / `1e+21`.
    static func json(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        let a = abs(v)
        if a != 0 && (a < 1e-6 || a >= 1e21) {
            var s = format(v, "e", -1)
            // Go cleans up e-09 to e-9.
            if let e = s.lastIndex(of: "e") {
                let exp = s[s.index(after: e)...]
                if exp.hasPrefix("-0") { s = String(s[...e]) + "-" + exp.dropFirst(2) }
            }
            return s
        }
        return format(v, "f", -1)
    }

    /// Shortest digits that round-trip, read from Swift's `description` (same digits Go picks).
    static func shortestDigits(_ v: Double) -> Digits {
        let text = v.description
        var mantissa: [UInt8] = []
        var pointAt: Int?
        var exponent = 0
        var index = text.utf8.startIndex
        while index < text.utf8.endIndex {
            let c = text.utf8[index]
            if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                exponent = Int(String(text[text.utf8.index(after: index)...])) ?? 0
                break
            }
            if c == UInt8(ascii: ".") {
                pointAt = mantissa.count
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                mantissa.append(c - UInt8(ascii: "0"))
            }
            index = text.utf8.index(after: index)
        }
        return normalize(mantissa, dp: (pointAt ?? mantissa.count) + exponent)
    }

    /// The exact decimal expansion of a finite non-negative double.
    static func exactDigits(_ v: Double) -> Digits {
        let exponentBits = Int(v.exponentBitPattern)
        var mantissa = v.significandBitPattern
        var e2: Int
        if exponentBits == 0 {
            e2 = -1074
        } else {
            mantissa |= 1 << 52
            e2 = exponentBits - 1075
        }
        if mantissa == 0 { return Digits(d: [], dp: 0) }
        var big: [UInt32] = [UInt32(truncatingIfNeeded: mantissa), UInt32(truncatingIfNeeded: mantissa >> 32)]
        var dpShift = 0
        if e2 >= 0 {
            while e2 > 0 {
                let k = min(e2, 31)
                multiply(&big, by: 1 << UInt32(k))
                e2 -= k
            }
        } else {
            var n = -e2
            dpShift = e2
            while n > 0 {
                let k = min(n, 13)
                var p: UInt32 = 1
                for _ in 0..<k { p *= 5 }
                multiply(&big, by: p)
                n -= k
            }
        }
        let text = decimalDigits(big)
        return normalize(text, dp: text.count + dpShift)
    }

    private static func normalize(_ digits: [UInt8], dp: Int) -> Digits {
        var d = digits[...]
        var dp = dp
        while let first = d.first, first == 0 {
            d = d.dropFirst()
            dp -= 1
        }
        while let last = d.last, last == 0 { d = d.dropLast() }
        return d.isEmpty ? Digits(d: [], dp: 0) : Digits(d: Array(d), dp: dp)
    }

    private static func multiply(_ big: inout [UInt32], by factor: UInt32) {
        var carry: UInt64 = 0
        for i in big.indices {
            let product = UInt64(big[i]) * UInt64(factor) + carry
            big[i] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry > 0 { big.append(UInt32(carry)) }
    }

    private static func decimalDigits(_ value: [UInt32]) -> [UInt8] {
        var big = value
        var chunks: [UInt32] = []
        while big.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in big.indices.reversed() {
                let current = (remainder << 32) | UInt64(big[i])
                big[i] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
            while big.last == 0 { big.removeLast() }
        }
        var out: [UInt8] = []
        for (i, chunk) in chunks.reversed().enumerated() {
            var piece: [UInt8] = []
            var c = chunk
            for _ in 0..<9 {
                piece.append(UInt8(c % 10))
                c /= 10
            }
            var digits = Array(piece.reversed())
            if i == 0 { digits = Array(digits.drop { $0 == 0 }) }
            out += digits
        }
        return out
    }

    /// Rounds to `nd` significant digits, half to even (the expansion is exact).
    static func round(_ digits: inout Digits, _ nd: Int) {
        if nd < 0 || nd >= digits.d.count { return }
        var roundUp = digits.d[nd] > 5 || (digits.d[nd] == 5 && nd + 1 < digits.d.count)
        if digits.d[nd] == 5 && nd + 1 == digits.d.count {
            roundUp = nd > 0 && digits.d[nd - 1] % 2 == 1
        }
        var kept = Array(digits.d[..<nd])
        if roundUp {
            var i = nd - 1
            while i >= 0 && kept[i] == 9 { i -= 1 }
            if i < 0 {
                kept = [1]
                digits.dp += 1
            } else {
                kept[i] += 1
                kept.removeSubrange((i + 1)...)
            }
        }
        while kept.last == 0 { kept.removeLast() }
        digits.d = kept
        if kept.isEmpty { digits.dp = 0 }
    }

    private static func digitChar(_ d: UInt8) -> Character { Character(Unicode.Scalar(d + 48)) }

    private static func fmtE(_ digits: Digits, _ prec: Int, _ fmt: Character) -> String {
        var out = String(digits.d.isEmpty ? "0" : digitChar(digits.d[0]))
        if prec > 0 {
            out.append(".")
            for i in 1...prec { out.append(i < digits.d.count ? digitChar(digits.d[i]) : "0") }
        }
        out.append(fmt)
        var exp = digits.d.isEmpty ? 0 : digits.dp - 1
        out.append(exp < 0 ? "-" : "+")
        exp = abs(exp)
        if exp < 10 { out.append("0") }
        out += String(exp)
        return out
    }

    private static func fmtF(_ digits: Digits, _ prec: Int) -> String {
        var out = ""
        if digits.dp > 0 {
            for i in 0..<digits.dp { out.append(i < digits.d.count ? digitChar(digits.d[i]) : "0") }
        } else {
            out = "0"
        }
        if prec > 0 {
            out.append(".")
            for i in 1...prec {
                let j = digits.dp + i - 1
                out.append(j >= 0 && j < digits.d.count ? digitChar(digits.d[j]) : "0")
            }
        }
        return out
    }
}
