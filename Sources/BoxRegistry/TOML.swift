import BoxCore

/// A TOML value: what registries.conf files use, plus floats and inline tables.
enum TOMLValue {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    func string(_ owner: TOMLTable, _ key: String, path: String) throws(BoxError) -> String {
        guard case .string(let s) = self else { throw owner.typeError(key, "a string", path: path) }
        return s
    }

    func bool(_ owner: TOMLTable, _ key: String, path: String) throws(BoxError) -> Bool {
        guard case .bool(let b) = self else { throw owner.typeError(key, "a boolean", path: path) }
        return b
    }

    func strings(_ owner: TOMLTable, _ key: String, path: String) throws(BoxError) -> [String] {
        guard case .array(let items) = self else { throw owner.typeError(key, "an array of strings", path: path) }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw owner.typeError(key, "an array of strings", path: path) }
            out.append(s)
        }
        return out
    }
}

/// A TOML table: its entries in order, the line of each key, and how the table itself came to be.
final class TOMLTable {
    private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    private var lines: [String: Int] = [:]
    /// The line of its header (or of the key that made it).
    let line: Int
    /// Defined by a `[header]` of its own (a second one is an error), not only implied by a longer one.
    var explicit = false
    /// Keys whose arrays were made by `[[header]]`s, which later `[[header]]`s may extend.
    var tableArrays: Set<String> = []

    init(line: Int) { self.line = line }

    subscript(key: String) -> TOMLValue? { values[key] }

    func line(_ key: String) -> Int { lines[key] ?? line }

    func set(_ key: String, _ value: TOMLValue, line: Int) {
        if values[key] == nil { keys.append(key) }
        values[key] = value
        lines[key] = line
    }

    /// A sub-table by name; nil when absent.
    func table(_ key: String, path: String) throws(BoxError) -> TOMLTable? {
        switch values[key] {
        case nil: return nil
        case .table(let t)?: return t
        default: throw typeError(key, "a table", path: path)
        }
    }

    /// The tables of an array of tables (`[[key]]`); empty when absent.
    func tables(_ key: String, path: String) throws(BoxError) -> [TOMLTable] {
        switch values[key] {
        case nil: return []
        case .array(let items)?:
            var out: [TOMLTable] = []
            for case .table(let t) in items { out.append(t) }
            guard out.count == items.count else { throw typeError(key, "an array of tables", path: path) }
            return out
        default: throw typeError(key, "an array of tables", path: path)
        }
    }

    func typeError(_ key: String, _ what: String, path: String) -> BoxError {
        BoxError(.invalidArgument, "parse \(path) line \(line(key)): \(key) must be \(what)")
    }
}

/// A parser for the TOML that registries.conf files use: comments, `key = value` with dotted and quoted keys,
/// basic, literal and multi-line strings, booleans, numbers, arrays over several lines, inline tables,
/// `[tables]` and `[[arrays of tables]]`. Dates are not supported.
struct TOMLParser {
    private let s: [UInt8]
    private let path: String
    private var i = 0
    private var lineNo = 1

    init(_ text: String, path: String) {
        s = Array(text.utf8)
        self.path = path
    }

    private func fail(_ why: String) -> BoxError {
        BoxError(.invalidArgument, "parse \(path) line \(lineNo): \(why)")
    }

    private var peek: UInt8? { i < s.count ? s[i] : nil }

    private func peek(_ offset: Int) -> UInt8? { i + offset < s.count ? s[i + offset] : nil }

    private mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where i < s.count {
            if s[i] == 0x0a { lineNo += 1 }
            i += 1
        }
    }

    private func at(_ text: String) -> Bool {
        let t = Array(text.utf8)
        return i + t.count <= s.count && Array(s[i..<(i + t.count)]) == t
    }

    /// Skips spaces and tabs, and a comment up to (not over) the end of the line.
    private mutating func skipBlank() {
        while let c = peek, c == 0x20 || c == 0x09 { advance() }
        if peek == UInt8(ascii: "#") { while let c = peek, c != 0x0a { advance() } }
    }

    /// Skips blanks, comments and line ends.
    private mutating func skipBlankLines() {
        while true {
            skipBlank()
            guard let c = peek, c == 0x0a || c == 0x0d else { return }
            advance()
        }
    }

    /// Expects the end of a line (or of the text) after an item.
    private mutating func endLine() throws(BoxError) {
        skipBlank()
        if peek == 0x0d { advance() }
        guard let c = peek else { return }
        guard c == 0x0a else { throw fail("unexpected \(describe(c)) after value") }
        advance()
    }

    private func describe(_ c: UInt8) -> String {
        if c >= 0x20 && c < 0x7f { return "'\(Character(Unicode.Scalar(c)))'" }
        let hex = String(c, radix: 16)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    mutating func parse() throws(BoxError) -> TOMLTable {
        let root = TOMLTable(line: 1)
        root.explicit = true
        var current = root
        while true {
            skipBlankLines()
            guard let c = peek else { return root }
            if c == UInt8(ascii: "[") {
                let array = peek(1) == UInt8(ascii: "[")
                advance(array ? 2 : 1)
                skipBlank()
                let key = try keyPath()
                guard at(array ? "]]" : "]") else { throw fail("expected \(array ? "]]" : "]") after table name") }
                advance(array ? 2 : 1)
                current = try header(key, array: array, root: root)
            } else {
                let line = lineNo
                let key = try keyPath()
                guard peek == UInt8(ascii: "=") else { throw fail("expected = after key \(key.joined(separator: "."))") }
                advance()
                skipBlank()
                let value = try self.value()
                try assign(key, value, in: current, line: line)
            }
            try endLine()
        }
    }

    /// Makes the table a `[header]` or `[[header]]` names, and returns it.
    private mutating func header(_ key: [String], array: Bool, root: TOMLTable) throws(BoxError) -> TOMLTable {
        let name = key.joined(separator: ".")
        var t = root
        for part in key.dropLast() { t = try descend(t, part, name: name) }
        let last = key[key.count - 1]
        if array {
            let new = TOMLTable(line: lineNo)
            new.explicit = true
            switch t[last] {
            case nil:
                t.set(last, .array([.table(new)]), line: lineNo)
                t.tableArrays.insert(last)
            case .array(let items)? where t.tableArrays.contains(last):
                t.set(last, .array(items + [.table(new)]), line: lineNo)
            default: throw fail("\(name) is already defined and is not an array of tables")
            }
            return new
        }
        switch t[last] {
        case nil:
            let new = TOMLTable(line: lineNo)
            new.explicit = true
            t.set(last, .table(new), line: lineNo)
            return new
        case .table(let existing)?:
            guard !existing.explicit else { throw fail("table \(name) is defined twice") }
            existing.explicit = true
            return existing
        default: throw fail("\(name) is already defined and is not a table")
        }
    }

    /// The table under `part` of `t`, made if absent; through an array of tables, its last table.
    private func descend(_ t: TOMLTable, _ part: String, name: String) throws(BoxError) -> TOMLTable {
        switch t[part] {
        case nil:
            let new = TOMLTable(line: lineNo)
            t.set(part, .table(new), line: lineNo)
            return new
        case .table(let sub)?: return sub
        case .array(let items)? where t.tableArrays.contains(part):
            guard case .table(let sub)? = items.last else { throw fail("\(name): \(part) is not a table") }
            return sub
        default: throw fail("\(name): \(part) is not a table")
        }
    }

    private func assign(_ key: [String], _ value: TOMLValue, in table: TOMLTable, line: Int) throws(BoxError) {
        var t = table
        for part in key.dropLast() { t = try descend(t, part, name: key.joined(separator: ".")) }
        let last = key[key.count - 1]
        guard t[last] == nil else { throw fail("duplicate key \(key.joined(separator: "."))") }
        t.set(last, value, line: line)
    }

    /// A key: bare or quoted parts joined by dots.
    private mutating func keyPath() throws(BoxError) -> [String] {
        var parts: [String] = []
        while true {
            skipBlank()
            guard let c = peek else { throw fail("expected a key") }
            if c == UInt8(ascii: "\"") {
                parts.append(try basicString())
            } else if c == UInt8(ascii: "'") {
                parts.append(try literalString())
            } else {
                let start = i
                while let b = peek, isBare(b) { advance() }
                guard i > start else { throw fail("expected a key, found \(describe(c))") }
                parts.append(String(decoding: s[start..<i], as: UTF8.self))
            }
            skipBlank()
            guard peek == UInt8(ascii: ".") else { return parts }
            advance()
        }
    }

    private func isBare(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d
    }

    private mutating func value() throws(BoxError) -> TOMLValue {
        guard let c = peek else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "\""): return .string(at("\"\"\"") ? try multilineBasic() : try basicString())
        case UInt8(ascii: "'"): return .string(at("'''") ? try multilineLiteral() : try literalString())
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "{"): return try inlineTable()
        default: break
        }
        if at("true") && !(peek(4).map(isBare) ?? false) {
            advance(4)
            return .bool(true)
        }
        if at("false") && !(peek(5).map(isBare) ?? false) {
            advance(5)
            return .bool(false)
        }
        return try number()
    }

    private mutating func number() throws(BoxError) -> TOMLValue {
        let start = i
        while let c = peek, isBare(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") { advance() }
        let token = String(decoding: s[start..<i], as: UTF8.self)
        let digits = token.filter { $0 != "_" }
        guard !token.isEmpty else { throw fail("expected a value, found \(describe(s[start]))") }
        if let n = Int(digits) { return .integer(n) }
        for (p, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(p) {
            if let n = Int(digits.dropFirst(2), radix: radix) { return .integer(n) }
        }
        if digits.contains(where: { $0.isNumber }) || digits.hasSuffix("inf") || digits.hasSuffix("nan"),
           let d = Double(digits) {
            return .float(d)
        }
        throw fail("invalid value \(token)")
    }

    private mutating func array() throws(BoxError) -> TOMLValue {
        advance()
        var items: [TOMLValue] = []
        while true {
            skipBlankLines()
            guard let c = peek else { throw fail("unterminated array") }
            if c == UInt8(ascii: "]") { break }
            items.append(try value())
            skipBlankLines()
            if peek == UInt8(ascii: ",") {
                advance()
            } else if peek != UInt8(ascii: "]") {
                throw fail(peek.map { "expected , or ] in array, found \(describe($0))" } ?? "unterminated array")
            }
        }
        advance()
        return .array(items)
    }

    private mutating func inlineTable() throws(BoxError) -> TOMLValue {
        let table = TOMLTable(line: lineNo)
        table.explicit = true
        advance()
        skipBlank()
        if peek == UInt8(ascii: "}") {
            advance()
            return .table(table)
        }
        while true {
            let line = lineNo
            let key = try keyPath()
            guard peek == UInt8(ascii: "=") else { throw fail("expected = after key \(key.joined(separator: "."))") }
            advance()
            skipBlank()
            try assign(key, try value(), in: table, line: line)
            skipBlank()
            if peek == UInt8(ascii: ",") {
                advance()
            } else if peek == UInt8(ascii: "}") {
                advance()
                return .table(table)
            } else {
                throw fail("expected , or } in inline table")
            }
        }
    }

    private mutating func literalString() throws(BoxError) -> String {
        advance()
        let start = i
        while let c = peek, c != UInt8(ascii: "'") {
            guard c != 0x0a else { throw fail("unterminated string") }
            advance()
        }
        guard peek != nil else { throw fail("unterminated string") }
        let text = String(decoding: s[start..<i], as: UTF8.self)
        advance()
        return text
    }

    private mutating func multilineLiteral() throws(BoxError) -> String {
        advance(3)
        if peek == 0x0d { advance() }
        if peek == 0x0a { advance() }
        let start = i
        while !at("'''") {
            guard peek != nil else { throw fail("unterminated string") }
            advance()
        }
        // up to two quotes may end the string just before its delimiter
        while peek(3) == UInt8(ascii: "'") { advance() }
        let text = String(decoding: s[start..<i], as: UTF8.self)
        advance(3)
        return text
    }

    private mutating func basicString() throws(BoxError) -> String {
        advance()
        var out: [UInt8] = []
        while true {
            guard let c = peek, c != 0x0a else { throw fail("unterminated string") }
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") { try escape(into: &out) } else {
                out.append(c)
                advance()
            }
        }
        advance()
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func multilineBasic() throws(BoxError) -> String {
        advance(3)
        if peek == 0x0d { advance() }
        if peek == 0x0a { advance() }
        var out: [UInt8] = []
        while !at("\"\"\"") || peek(3) == UInt8(ascii: "\"") {
            guard let c = peek else { throw fail("unterminated string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                advance()
                continue
            }
            // a backslash ending a line joins it to the next, dropping the whitespace between
            var j = i + 1
            while j < s.count, s[j] == 0x20 || s[j] == 0x09 || s[j] == 0x0d { j += 1 }
            if j < s.count, s[j] == 0x0a {
                advance(j - i)
                while let b = peek, b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d { advance() }
            } else {
                try escape(into: &out)
            }
        }
        advance(3)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes one escape sequence at a backslash.
    private mutating func escape(into out: inout [UInt8]) throws(BoxError) {
        advance()
        guard let e = peek else { throw fail("unterminated string") }
        advance()
        switch e {
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "n"): out.append(0x0a)
        case UInt8(ascii: "f"): out.append(0x0c)
        case UInt8(ascii: "r"): out.append(0x0d)
        case UInt8(ascii: "e"): out.append(0x1b)
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(e)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let n = e == UInt8(ascii: "u") ? 4 : 8
            guard i + n <= s.count, let v = UInt32(String(decoding: s[i..<(i + n)], as: UTF8.self), radix: 16),
                  let scalar = Unicode.Scalar(v) else { throw fail("invalid unicode escape") }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
            advance(n)
        default: throw fail("invalid escape \\\(Character(Unicode.Scalar(e)))")
        }
    }
}
