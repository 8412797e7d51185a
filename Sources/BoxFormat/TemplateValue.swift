import FoundationEssentials

/// A JSON-like value that templates evaluate: what `docker … --format` sees as `.`.
///
/// Objects keep their keys in insertion order (like a Go struct), so `{{json .}}` prints fields in the
/// order they were declared; `{{range}}` and `%v` printing use sorted keys (like a Go map).
public indirect enum TemplateValue: Sendable {
    /// JSON null, a missing key or Go's nil; an action prints it as `<no value>`.
    case null
    /// true or false.
    case bool(Bool)
    /// An integer, printed in decimal.
    case int(Int64)
    /// A floating-point number, printed like Go's `%v` (`1.5`, `1e+06`).
    case double(Double)
    /// Text, printed as is.
    case string(String)
    /// A list, printed like Go's `[a b c]`.
    case array([TemplateValue])
    /// An object as ordered `(key, value)` pairs with unique keys, printed like Go's `map[k1:v1 k2:v2]`.
    case object([(String, TemplateValue)])
}

extension TemplateValue: Equatable {
    /// Structural equality; object keys must match in the same order. `.int(1)` differs from `.double(1)`.
    public static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.double(a), .double(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }
}

extension TemplateValue {
    /// The value of `field` when this is an object that has it, else nil.
    public subscript(field: String) -> TemplateValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == field }?.1
    }

    /// A field for a template's `.Name`: the exact key, else one that differs only in case.
    ///
    /// podman's `info` JSON has keys like `graphRoot` while its templates say `.Store.GraphRoot` (Go field
    /// names); the fallback lets one value serve both, as scripts written for podman expect.
    public func lookup(_ field: String) -> TemplateValue? {
        if let exact = self[field] { return exact }
        guard case .object(let pairs) = self else { return nil }
        let folded = field.lowercased()
        return pairs.first { $0.0.lowercased() == folded }?.1
    }

    /// The element at `index` when this is an array and the index is in range, else nil.
    public subscript(index: Int) -> TemplateValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// Go's truthiness: false, 0, 0.0, "", null, and empty arrays and objects are false.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .array(let a): !a.isEmpty
        case .object(let o): !o.isEmpty
        }
    }

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The Go type name used in error messages: `string`, `int`, `float64`, `[]interface {}`, ….
    var goTypeName: String {
        switch self {
        case .null: "<nil>"
        case .bool: "bool"
        case .int: "int"
        case .double: "float64"
        case .string: "string"
        case .array: "[]interface {}"
        case .object: "map[string]interface {}"
        }
    }

    /// The object's pairs sorted by key in byte order, as Go iterates and prints maps.
    static func sortedPairs(_ pairs: [(String, TemplateValue)]) -> [(String, TemplateValue)] {
        pairs.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
    }

    /// Returns a copy of this object with `key` set to `value` (replacing in place or appending).
    /// Non-objects become an object holding just that key.
    public func setting(_ key: String, to value: TemplateValue) -> TemplateValue {
        guard case .object(var pairs) = self else { return .object([(key, value)]) }
        if let at = pairs.firstIndex(where: { $0.0 == key }) {
            pairs[at].1 = value
        } else {
            pairs.append((key, value))
        }
        return .object(pairs)
    }
}

extension TemplateValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is `.null`.
    public init(nilLiteral: ()) { self = .null }
    /// A Bool literal is `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal is `.int`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A float literal is `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string literal is `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal is `.array`.
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    /// A dictionary literal is an `.object` that keeps the literal's key order; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        var object = TemplateValue.object([])
        for (key, value) in elements { object = object.setting(key, to: value) }
        self = object
    }
}
