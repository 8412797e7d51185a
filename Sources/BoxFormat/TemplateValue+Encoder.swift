import FoundationEssentials

/// An `Encoder` that builds a `TemplateValue` directly, keeping object keys in the order they are encoded.
enum ValueEncoder {
    static func encode<T: Encodable>(_ value: T) throws -> TemplateValue {
        let root = Slot()
        try root.store(value, path: [])
        return root.value
    }
}

/// One value under construction; containers hold their children as slots so nested containers can fill them later.
final class Slot {
    enum Content {
        case empty
        case leaf(TemplateValue)
        case array([Slot])
        case object([(String, Slot)])
    }

    var content: Content = .empty

    var value: TemplateValue {
        switch content {
        case .empty: .object([])
        case .leaf(let v): v
        case .array(let slots): .array(slots.map(\.value))
        case .object(let pairs): .object(pairs.map { ($0.0, $0.1.value) })
        }
    }

    /// Encodes `value` into this slot, special-casing the types `JSONEncoder` special-cases.
    func store<T: Encodable>(_ value: T, path: [any CodingKey]) throws {
        if let data = value as? Data {
            content = .leaf(.string(data.base64EncodedString()))
        } else if let url = value as? URL {
            content = .leaf(.string(url.absoluteString))
        } else {
            try value.encode(to: SlotEncoder(slot: self, codingPath: path))
        }
    }

    func child(forKey key: String) -> Slot {
        let slot = Slot()
        var pairs: [(String, Slot)] = []
        if case .object(let existing) = content { pairs = existing }
        if let at = pairs.firstIndex(where: { $0.0 == key }) {
            pairs[at].1 = slot
        } else {
            pairs.append((key, slot))
        }
        content = .object(pairs)
        return slot
    }

    func appendChild() -> Slot {
        let slot = Slot()
        var slots: [Slot] = []
        if case .array(let existing) = content { slots = existing }
        slots.append(slot)
        content = .array(slots)
        return slot
    }

    func makeObject() {
        if case .object = content { return }
        content = .object([])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }

    var count: Int {
        if case .array(let slots) = content { return slots.count }
        return 0
    }
}

struct SlotEncoder: Encoder {
    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        slot.makeObject()
        return KeyedEncodingContainer(KeyedSlotContainer<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        slot.makeArray()
        return UnkeyedSlotContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleSlotContainer(slot: slot, codingPath: codingPath)
    }
}

/// Converts the primitive types every container accepts.
enum Primitive {
    static func int<T: BinaryInteger>(_ v: T) -> TemplateValue {
        if let i = Int64(exactly: v) { return .int(i) }
        return .double(Double(v))
    }

    static func float(_ v: Float) -> TemplateValue {
        // Go through the shortest decimal text so 0.1 as Float stays 0.1, as JSONEncoder prints it.
        .double(Double(v.description) ?? Double(v))
    }
}

struct SingleSlotContainer: SingleValueEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    func encodeNil() throws { slot.content = .leaf(.null) }
    func encode(_ value: Bool) throws { slot.content = .leaf(.bool(value)) }
    func encode(_ value: String) throws { slot.content = .leaf(.string(value)) }
    func encode(_ value: Double) throws { slot.content = .leaf(.double(value)) }
    func encode(_ value: Float) throws { slot.content = .leaf(Primitive.float(value)) }
    func encode(_ value: Int) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: Int8) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: Int16) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: Int32) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: Int64) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: UInt) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: UInt8) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: UInt16) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: UInt32) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode(_ value: UInt64) throws { slot.content = .leaf(Primitive.int(value)) }
    func encode<T: Encodable>(_ value: T) throws { try slot.store(value, path: codingPath) }
}

struct KeyedSlotContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    private func put(_ value: TemplateValue, _ key: Key) { slot.child(forKey: key.stringValue).content = .leaf(value) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(Primitive.float(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(Primitive.int(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(Primitive.int(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try slot.child(forKey: key.stringValue).store(value, path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = slot.child(forKey: key.stringValue)
        child.makeObject()
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(slot: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = slot.child(forKey: key.stringValue)
        child.makeArray()
        return UnkeyedSlotContainer(slot: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        SlotEncoder(slot: slot.child(forKey: "super"), codingPath: codingPath + [AnyCodingKey(stringValue: "super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        SlotEncoder(slot: slot.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

struct UnkeyedSlotContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]
    var count: Int { slot.count }

    private func put(_ value: TemplateValue) { slot.appendChild().content = .leaf(value) }
    private var nextPath: [any CodingKey] { codingPath + [AnyCodingKey(intValue: count)] }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.double(value)) }
    mutating func encode(_ value: Float) throws { put(Primitive.float(value)) }
    mutating func encode(_ value: Int) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: Int8) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: Int16) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: Int32) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: Int64) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: UInt) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: UInt8) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: UInt16) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: UInt32) throws { put(Primitive.int(value)) }
    mutating func encode(_ value: UInt64) throws { put(Primitive.int(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try slot.appendChild().store(value, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let path = nextPath
        let child = slot.appendChild()
        child.makeObject()
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(slot: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let child = slot.appendChild()
        child.makeArray()
        return UnkeyedSlotContainer(slot: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return SlotEncoder(slot: slot.appendChild(), codingPath: path)
    }
}
