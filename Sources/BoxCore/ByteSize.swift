/// Sizes as Docker's flags take them (go-units `RAMInBytes`): `64m`, `1.5g`, `512k`, `100` (bytes),
/// with binary multiples and an optional `b`/`ib` after the unit.
public enum ByteSize {
    /// The bytes of `s`, or nil when it is not a size.
    public static func parse(_ s: String) -> Int64? {
        var t = Substring(s.lowercased())
        if t.hasSuffix("ib") { t = t.dropLast(2) } else if t.hasSuffix("b") { t = t.dropLast() }
        var mult: Double = 1
        if let u = t.last, let i = "kmgtp".firstIndex(of: u) {
            mult = Double(Int64(1) << (10 * ("kmgtp".distance(from: "kmgtp".startIndex, to: i) + 1)))
            t = t.dropLast()
        }
        if t.hasSuffix(" ") { t = t.dropLast() }
        guard !t.isEmpty, t.first != ".", t.allSatisfy({ ("0"..."9").contains($0) || $0 == "." }), let n = Double(t) else { return nil }
        let v = n * mult
        guard v < 9.2e18 else { return nil }
        return Int64(v)
    }
}
