/// Reads one json-file line: an object whose string members become bytes (escapes decoded, so a `\ufffd` or
/// any other text comes back as its UTF-8), an `attrs` object of strings, and anything else skipped.
struct JSONLineParser {
    struct Object {
        var strings: [String: [UInt8]] = [:]
        var attrs: [String: String] = [:]
    }

    let u: ArraySlice<UInt8>
    var i: Int

    init(_ line: ArraySlice<UInt8>) {
        u = line
        i = line.startIndex
    }

    /// The top-level object; nil when the line is not one.
    mutating func object() -> Object? {
        var out = Object()
        let ok = members { (p: inout JSONLineParser, key: String) -> Bool in
            if key == "attrs", p.peek() == UInt8(ascii: "{") {
                return p.members { (q: inout JSONLineParser, k: String) -> Bool in
                    guard q.peek() == UInt8(ascii: "\"") else { return q.skipValue() }
                    guard let v = q.string() else { return false }
                    out.attrs[k] = String(decoding: v, as: UTF8.self)
                    return true
                }
            }
            guard p.peek() == UInt8(ascii: "\"") else { return p.skipValue() }
            guard let v = p.string() else { return false }
            out.strings[key] = v
            return true
        }
        return ok ? out : nil
    }

    /// `{ "key": value, … }`, calling body at each value.
    mutating func members(_ body: (inout JSONLineParser, String) -> Bool) -> Bool {
        guard eat(UInt8(ascii: "{")) else { return false }
        if eat(UInt8(ascii: "}")) { return true }
        while true {
            skipSpace()
            guard let key = string(), eat(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard body(&self, String(decoding: key, as: UTF8.self)) else { return false }
            if eat(UInt8(ascii: ",")) { continue }
            return eat(UInt8(ascii: "}"))
        }
    }

    mutating func skipSpace() {
        while i < u.endIndex, u[i] == 32 || u[i] == 9 || u[i] == 10 || u[i] == 13 { i += 1 }
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return i < u.endIndex ? u[i] : nil
    }

    mutating func eat(_ c: UInt8) -> Bool {
        guard peek() == c else { return false }
        i += 1
        return true
    }

    /// Skips a number, literal, string, array or object.
    mutating func skipValue() -> Bool {
        guard let c = peek() else { return false }
        switch c {
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            i += 1
            if eat(close) { return true }
            while true {
                if c == UInt8(ascii: "{") {
                    skipSpace()
                    guard string() != nil, eat(UInt8(ascii: ":")) else { return false }
                }
                guard skipValue() else { return false }
                if eat(UInt8(ascii: ",")) { continue }
                return eat(close)
            }
        default:
            let start = i
            while i < u.endIndex, ![44, 93, 125, 32, 9, 10, 13].contains(u[i]) { i += 1 }
            return i > start
        }
    }

    /// A string's bytes, escapes decoded (a lone surrogate becomes U+FFFD, as Go decodes it).
    mutating func string() -> [UInt8]? {
        guard eat(UInt8(ascii: "\"")) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.endIndex - i)
        while i < u.endIndex {
            let c = u[i]
            i += 1
            if c == UInt8(ascii: "\"") { return out }
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                continue
            }
            guard i < u.endIndex else { return nil }
            let e = u[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {
                    let save = i
                    if i + 1 < u.endIndex, u[i] == UInt8(ascii: "\\"), u[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: out.append(e)
            }
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= u.endIndex else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = u[i]
            let d: UInt8
            switch c {
            case 48...57: d = c - 48
            case 97...102: d = c - 87
            case 65...70: d = c - 55
            default: return nil
            }
            v = v * 16 + UInt32(d)
            i += 1
        }
        return v
    }
}
