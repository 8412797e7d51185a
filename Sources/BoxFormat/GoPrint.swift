/// Go's `fmt` printing of template values: `%v`, `fmt.Sprint` and `fmt.Sprintln`.
enum GoPrint {
    /// `%v`: strings as is, floats like `1.5` / `1e+06`, `<nil>`, `[a b]`, `map[k:v]` with sorted keys.
    static func plain(_ value: TemplateValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    private static func write(_ value: TemplateValue, to out: inout String) {
        switch value {
        case .null: out += "<nil>"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += GoFloat.format(d, "g", -1)
        case .string(let s): out += s
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += " " }
                write(item, to: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "map["
            for (i, (key, item)) in TemplateValue.sortedPairs(pairs).enumerated() {
                if i > 0 { out += " " }
                out += key + ":"
                write(item, to: &out)
            }
            out += "]"
        }
    }

    /// What `{{…}}` prints for a value: like `%v`, but a missing value prints `<no value>`.
    static func action(_ value: TemplateValue) -> String {
        if case .null = value { return "<no value>" }
        return plain(value)
    }

    /// `fmt.Sprint`: spaces are added between operands when neither is a string.
    static func sprint(_ args: [TemplateValue]) -> String {
        var out = ""
        for (i, arg) in args.enumerated() {
            if i > 0, args[i - 1].stringValue == nil, arg.stringValue == nil { out += " " }
            write(arg, to: &out)
        }
        return out
    }

    /// `fmt.Sprintln`: spaces between all operands and a newline at the end.
    static func sprintln(_ args: [TemplateValue]) -> String {
        args.map(plain).joined(separator: " ") + "\n"
    }
}
