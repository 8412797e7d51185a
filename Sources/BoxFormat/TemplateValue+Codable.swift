import FoundationEssentials

/// A coding key for arbitrary object keys.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension TemplateValue: Codable {
    /// Decodes any JSON value. Numbers without a fraction become `.int`, others `.double`.
    ///
    /// Decoders such as `JSONDecoder` do not report object keys in document order, so objects decoded
    /// this way have their keys sorted; use ``init(json:)`` to keep the document's order.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer() {
            if single.decodeNil() {
                self = .null
                return
            }
            if let b = try? single.decode(Bool.self) {
                self = .bool(b)
                return
            }
            if let i = try? single.decode(Int64.self) {
                self = .int(i)
                return
            }
            if let d = try? single.decode(Double.self) {
                self = .double(d)
                return
            }
            if let s = try? single.decode(String.self) {
                self = .string(s)
                return
            }
        }
        if var list = try? decoder.unkeyedContainer() {
            var items: [TemplateValue] = []
            while !list.isAtEnd {
                items.append(try list.decode(TemplateValue.self))
            }
            self = .array(items)
            return
        }
        let keyed = try decoder.container(keyedBy: AnyCodingKey.self)
        var pairs: [(String, TemplateValue)] = []
        for key in keyed.allKeys {
            pairs.append((key.stringValue, try keyed.decode(TemplateValue.self, forKey: key)))
        }
        self = .object(TemplateValue.sortedPairs(pairs))
    }

    /// Encodes as the natural JSON value; objects encode their keys in order where the encoder keeps order.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .double(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let pairs):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            for (key, value) in pairs { try c.encode(value, forKey: AnyCodingKey(stringValue: key)) }
        }
    }

    /// Converts any `Encodable` value into a `TemplateValue`, keeping struct fields in declaration order.
    ///
    /// The result is what `JSONEncoder` with default strategies would produce, decoded back:
    /// `Data` becomes a base64 string, `URL` its absolute string, `Date` seconds since 2001 (a double),
    /// and nil optionals are left out.
    public init<T: Encodable>(encoding value: T) throws {
        self = try ValueEncoder.encode(value)
    }
}
