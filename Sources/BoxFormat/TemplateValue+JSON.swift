import FoundationEssentials

extension TemplateValue {
    /// Compact JSON as Go's `json.Encoder` with `SetEscapeHTML(false)` writes it (what Docker's `{{json .}}` prints):
    /// object keys in stored order, floats like `1.5` / `1e+21`, `<` `>` `&` left as is.
    public var jsonString: String {
        var out = ""
        writeJSON(to: &out)
        return out
    }

    func writeJSON(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += GoFloat.json(d)
        case .string(let s): TemplateValue.writeJSONString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.writeJSON(to: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += "," }
                TemplateValue.writeJSONString(key, to: &out)
                out += ":"
                value.writeJSON(to: &out)
            }
            out += "}"
        }
    }

    static func writeJSONString(_ s: String, to out: inout String) {
        let hex: [Character] = Array("0123456789abcdef")
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00"
                    out.append(hex[Int(scalar.value >> 4)])
                    out.append(hex[Int(scalar.value & 0xF)])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Parses JSON text, keeping object keys in document order (a repeated key keeps its last value).
    /// Numbers without fraction or exponent that fit in Int64 become `.int`, others `.double`.
    public init(json: some Collection<UInt8>) throws {
        var parser = JSONParser(bytes: Array(json))
        parser.skipSpace()
        let value = try parser.parseValue(depth: 0)
        parser.skipSpace()
        if parser.pos != parser.bytes.count { throw parser.failure("unexpected trailing characters") }
        self = value
    }

    /// Parses JSON text given as a string; see ``init(json:)-(Collection<UInt8>)``.
    public init(json: String) throws {
        try self.init(json: Array(json.utf8))
    }
}

/// A small JSON parser that keeps object key order.
struct JSONParser {
    let bytes: [UInt8]
    var pos = 0

    func failure(_ message: String) -> DecodingError {
        let context = DecodingError.Context(
            codingPath: [], debugDescription: "invalid json at offset \(pos): \(message)")
        return DecodingError.dataCorrupted(context)
    }

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func expect(_ word: String) throws {
        for b in word.utf8 {
            guard pos < bytes.count, bytes[pos] == b else { throw failure("expected \(word)") }
            pos += 1
        }
    }

    mutating func parseValue(depth: Int) throws -> TemplateValue {
        guard depth < 512 else { throw failure("nesting too deep") }
        guard pos < bytes.count else { throw failure("unexpected end") }
        switch bytes[pos] {
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "["):
            pos += 1
            var items: [TemplateValue] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw failure("unexpected end") }
                pos += 1
                if bytes[pos - 1] == UInt8(ascii: "]") { return .array(items) }
                if bytes[pos - 1] != UInt8(ascii: ",") { throw failure("expected , or ]") }
            }
        case UInt8(ascii: "{"):
            pos += 1
            var object = TemplateValue.object([])
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                return object
            }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw failure("expected key") }
                let key = try parseString()
                skipSpace()
                try expect(":")
                skipSpace()
                object = object.setting(key, to: try parseValue(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw failure("unexpected end") }
                pos += 1
                if bytes[pos - 1] == UInt8(ascii: "}") { return object }
                if bytes[pos - 1] != UInt8(ascii: ",") { throw failure("expected , or }") }
            }
        default:
            return try parseNumber()
        }
    }

    mutating func parseNumber() throws -> TemplateValue {
        // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        let start = pos
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        func digits() -> Bool {
            let first = pos
            while isDigit(pos) { pos += 1 }
            return pos > first
        }
        var isInteger = true
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        let intStart = pos
        guard digits(), bytes[intStart] != 0x30 || pos == intStart + 1 else { throw failure("invalid number") }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            isInteger = false
            guard digits() else { throw failure("invalid number") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            isInteger = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard digits() else { throw failure("invalid number") }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw failure("invalid number \"\(text)\"") }
        return .double(d)
    }

    mutating func parseHex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count,
            let v = UInt32(String(decoding: bytes[pos..<pos + 4], as: UTF8.self), radix: 16)
        else { throw failure("invalid \\u escape") }
        pos += 4
        return v
    }

    mutating func parseString() throws -> String {
        pos += 1
        var out: [UInt8] = []
        while pos < bytes.count {
            let c = bytes[pos]
            pos += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if c < 0x20 { throw failure("control character in string") }
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                continue
            }
            guard pos < bytes.count else { break }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if code >= 0xD800 && code < 0xDC00, pos + 6 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"),
                    bytes[pos + 1] == UInt8(ascii: "u")
                {
                    let save = pos
                    pos += 2
                    let low = try parseHex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save
                    }
                }
                out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
            default: throw failure("invalid escape")
            }
        }
        throw failure("unterminated string")
    }
}
