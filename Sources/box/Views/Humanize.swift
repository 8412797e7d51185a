import BoxCore

/// Durations and sizes as Docker prints them (go-units' HumanDuration and HumanSize).
enum Humanize {
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 1 { return "Less than a second" }
        if s == 1 { return "1 second" }
        if s < 60 { return "\(s) seconds" }
        let m = s / 60
        if m == 1 { return "About a minute" }
        if m < 60 { return "\(m) minutes" }
        let h = Int((seconds / 3600).rounded())
        if h == 1 { return "About an hour" }
        if h < 48 { return "\(h) hours" }
        if h < 24 * 7 * 2 { return "\(h / 24) days" }
        if h < 24 * 30 * 2 { return "\(h / 24 / 7) weeks" }
        if h < 24 * 365 * 2 { return "\(h / 24 / 30) months" }
        return "\(h / 24 / 365) years"
    }

    /// Time since an RFC 3339 moment: "5 seconds ago".
    static func ago(_ rfc3339: String?) -> String {
        guard let s = rfc3339, let t = Time.parse(s) else { return "N/A" }
        return duration(Time.nowSeconds() - t) + " ago"
    }

    /// Decimal units with 3 significant digits: `4.41MB`.
    static func size(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var v = Double(bytes)
        var i = 0
        while v >= 1000 && i < units.count - 1 {
            v /= 1000
            i += 1
        }
        return significant(v, 3) + units[i]
    }

    /// `%.Ng` for the values sizes take (0 ≤ v < 1000): no exponent, trailing zeros dropped.
    static func significant(_ v: Double, _ digits: Int) -> String {
        if v == 0 { return "0" }
        let intDigits = v < 1 ? 1 : String(Int(v)).count
        let decimals = max(0, digits - intDigits)
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(Int(r))
        if decimals > 0 {
            var frac = String(Int(((r - Double(Int(r))) * scale).rounded()))
            frac = String(repeating: "0", count: max(0, decimals - frac.count)) + frac
            while frac.hasSuffix("0") { frac.removeLast() }
            if !frac.isEmpty { s += "." + frac }
        }
        return s
    }

    /// Docker's `CreatedAt` form: `2024-01-01 00:00:00 +0000 UTC`.
    static func dockerTime(_ rfc3339: String?) -> String {
        guard let s = rfc3339, let t = Time.parse(s) else { return "" }
        let f = Time.format(seconds: Int(t))
        return f.prefix(10) + " " + f.dropFirst(11).prefix(8) + " +0000 UTC"
    }
}
