import BoxCore
import CCrypto

/// A content digest, `sha256:<64 hex>`. Only sha256 is accepted, as in the registries people use.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let hex: String

    /// Parses `sha256:<64 lowercase hex>`.
    public init(parsing s: String) throws(BoxError) {
        guard s.hasPrefix("sha256:") else {
            throw BoxError(.invalidArgument, "invalid digest \"\(s)\": only sha256 is supported")
        }
        let hex = String(s.dropFirst(7))
        guard Digest.isHex64(hex) else { throw BoxError(.invalidArgument, "invalid digest \"\(s)\"") }
        self.hex = hex
    }

    /// A digest from 64 hex characters already known to be valid.
    public init(hex: String) { self.hex = hex }

    public var description: String { "sha256:" + hex }

    /// Whether `s` is exactly 64 lowercase hex characters.
    public static func isHex64(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        do { self = try Digest(parsing: s) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    /// The digest of some bytes.
    public static func of(_ bytes: [UInt8]) -> Digest {
        var h = SHA256Hasher()
        h.update(bytes)
        return h.finish()
    }
}

/// An incremental sha256, for streams that are checked as they pass.
public struct SHA256Hasher: ~Copyable {
    private var ctx = SHA256_CTX()

    public init() { SHA256_Init(&ctx) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, bytes.count > 0 { SHA256_Update(&ctx, base, bytes.count) }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed so far.
    public mutating func finish() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        SHA256_Final(&out, &ctx)
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for b in out {
            hex.append(digits[Int(b >> 4)])
            hex.append(digits[Int(b & 15)])
        }
        return Digest(hex: String(decoding: hex, as: UTF8.self))
    }
}
