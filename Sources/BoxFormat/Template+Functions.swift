/// A function failed: `wrapped` errors print as `error calling NAME: …`, others (argument types) as is.
struct CallError: Error {
    let message: String
    var wrapped = true
}

/// The template functions: Go's builtins plus Docker's (`json`, `join`, `split`, `lower`, `upper`, `title`,
/// `truncate`, `pad`). `and` and `or` are evaluated lazily by the executor.
enum Builtins {
    /// Docker's string helpers, which render the table header as their first argument unchanged.
    static let dockerStringFunctions: Set<String> = [
        "json", "split", "join", "title", "lower", "upper", "truncate", "pad",
    ]

    static func isDefined(_ name: String) -> Bool { arity(name) != nil }

    /// Minimum argument count and maximum (nil when variadic), or nil for an unknown name.
    static func arity(_ name: String) -> (Int, Int?)? {
        switch name {
        case "and", "or", "index", "slice", "printf", "eq": (1, nil)
        case "print", "println", "html", "js", "urlquery": (0, nil)
        case "not", "len", "json", "title", "lower", "upper": (1, 1)
        case "ne", "lt", "le", "gt", "ge", "split", "join", "truncate": (2, 2)
        case "pad": (3, 3)
        default: nil
        }
    }

    static func string(_ v: TemplateValue) throws(CallError) -> String {
        switch v {
        case .string(let s): return s
        case .null: throw CallError(message: "invalid value; expected string", wrapped: false)
        default: throw CallError(message: "wrong type for value; expected string; got \(v.goTypeName)", wrapped: false)
        }
    }

    static func int(_ v: TemplateValue) throws(CallError) -> Int {
        switch v {
        case .int(let i): return Int(clamping: i)
        case .double(let d) where d == d.rounded() && abs(d) < 1e18: return Int(d)
        case .null: throw CallError(message: "invalid value; expected int", wrapped: false)
        default: throw CallError(message: "wrong type for value; expected int; got \(v.goTypeName)", wrapped: false)
        }
    }

    static func stringList(_ v: TemplateValue) throws(CallError) -> [String] {
        switch v {
        case .array(let items): return items.map { $0.stringValue ?? GoPrint.plain($0) }
        case .null: return []
        default:
            throw CallError(message: "wrong type for value; expected []string; got \(v.goTypeName)", wrapped: false)
        }
    }

    /// Calls `name` with evaluated arguments (count already checked).
    static func call(_ name: String, _ args: [TemplateValue]) throws(CallError) -> TemplateValue {
        switch name {
        case "not": return .bool(!args[0].isTruthy)
        case "len": return try length(args[0])
        case "index": return try index(args[0], Array(args.dropFirst()))
        case "slice": return try slice(args[0], Array(args.dropFirst()))
        case "print": return .string(GoPrint.sprint(args))
        case "println": return .string(GoPrint.sprintln(args))
        case "printf": return .string(GoPrintf.sprintf(try string(args[0]), Array(args.dropFirst())))
        case "eq":
            guard args.count > 1 else { throw CallError(message: "missing argument for comparison") }
            for other in args.dropFirst() where try Compare.equal(args[0], other) { return .bool(true) }
            return .bool(false)
        case "ne": return .bool(try !Compare.equal(args[0], args[1]))
        case "lt": return .bool(try Compare.less(args[0], args[1]))
        case "le", "gt":
            let less = try Compare.less(args[0], args[1])
            let lessOrEqual = less ? true : try Compare.equal(args[0], args[1])
            return .bool(name == "le" ? lessOrEqual : !lessOrEqual)
        case "ge": return .bool(try !Compare.less(args[0], args[1]))
        case "html": return .string(Escape.html(evalArgs(args)))
        case "js": return .string(Escape.js(evalArgs(args)))
        case "urlquery": return .string(Escape.urlQuery(evalArgs(args)))
        case "json": return .string(args[0].jsonString)
        case "split": return .array(Text.split(try string(args[0]), try string(args[1])).map(TemplateValue.string))
        case "join": return .string(try stringList(args[0]).joined(separator: try string(args[1])))
        case "title": return .string(Text.title(try string(args[0])))
        case "lower": return .string(try string(args[0]).lowercased())
        case "upper": return .string(try string(args[0]).uppercased())
        case "truncate":
            let s = try string(args[0])
            let n = try int(args[1])
            return .string(String(String.UnicodeScalarView(s.unicodeScalars.prefix(max(0, n)))))
        case "pad":
            let s = try string(args[0])
            if s.isEmpty { return .string(s) }
            let left = try int(args[1])
            let right = try int(args[2])
            let before = String(repeating: " ", count: max(0, left))
            return .string(before + s + String(repeating: " ", count: max(0, right)))
        default:
            throw CallError(message: "\(GoQuote.quote(name)) is not a defined function", wrapped: false)
        }
    }

    /// Like `fmt.Sprint`, but a single string argument is used as is.
    private static func evalArgs(_ args: [TemplateValue]) -> String {
        if args.count == 1, let s = args[0].stringValue { return s }
        return GoPrint.sprint(args)
    }

    private static func length(_ v: TemplateValue) throws(CallError) -> TemplateValue {
        switch v {
        case .string(let s): return .int(Int64(s.utf8.count))
        case .array(let a): return .int(Int64(a.count))
        case .object(let o): return .int(Int64(o.count))
        case .null: throw CallError(message: "len of nil pointer")
        default: throw CallError(message: "len of type \(v.goTypeName)")
        }
    }

    private static func indexArg(_ v: TemplateValue, _ cap: Int) throws(CallError) -> Int {
        let x: Int64
        switch v {
        case .int(let i): x = i
        case .null: throw CallError(message: "cannot index slice/array with nil")
        default: throw CallError(message: "cannot index slice/array with type \(v.goTypeName)")
        }
        guard x >= 0, x <= Int64(cap) else { throw CallError(message: "index out of range: \(x)") }
        return Int(x)
    }

    private static func index(_ item: TemplateValue, _ indexes: [TemplateValue]) throws(CallError) -> TemplateValue {
        var item = item
        if item == .null { throw CallError(message: "index of untyped nil") }
        for i in indexes {
            switch item {
            case .array(let a):
                let x = try indexArg(i, a.count)
                guard x < a.count else { throw CallError(message: "index out of range: \(x)") }
                item = a[x]
            case .string(let s):
                let bytes = Array(s.utf8)
                let x = try indexArg(i, bytes.count)
                guard x < bytes.count else { throw CallError(message: "index out of range: \(x)") }
                item = .int(Int64(bytes[x]))
            case .object:
                guard case .string(let key) = i else {
                    let type = i == .null ? "nil" : i.goTypeName
                    throw CallError(message: "value has type \(type); should be string")
                }
                item = item[key] ?? .null
            case .null:
                throw CallError(message: "index of nil pointer")
            default:
                throw CallError(message: "can't index item of type \(item.goTypeName)")
            }
        }
        return item
    }

    private static func slice(_ item: TemplateValue, _ indexes: [TemplateValue]) throws(CallError) -> TemplateValue {
        if indexes.count > 3 { throw CallError(message: "too many slice indexes: \(indexes.count)") }
        var idx = [0, 0, 0]
        func bounds(_ cap: Int) throws(CallError) {
            idx[1] = cap
            for (n, i) in indexes.enumerated() { idx[n] = try indexArg(i, cap) }
            if idx[0] > idx[1] { throw CallError(message: "invalid slice index: \(idx[0]) > \(idx[1])") }
            if indexes.count == 3 && idx[1] > idx[2] {
                throw CallError(message: "invalid slice index: \(idx[1]) > \(idx[2])")
            }
        }
        switch item {
        case .string(let s):
            if indexes.count == 3 { throw CallError(message: "cannot 3-index slice a string") }
            let bytes = Array(s.utf8)
            try bounds(bytes.count)
            return .string(String(decoding: bytes[idx[0]..<idx[1]], as: UTF8.self))
        case .array(let a):
            try bounds(a.count)
            return .array(Array(a[idx[0]..<idx[1]]))
        case .null: throw CallError(message: "slice of untyped nil")
        default: throw CallError(message: "can't slice item of type \(item.goTypeName)")
        }
    }
}

/// Go's `eq` and `lt` on basic values; ints and floats compare numerically with each other.
enum Compare {
    static func equal(_ a: TemplateValue, _ b: TemplateValue) throws(CallError) -> Bool {
        switch (a, b) {
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case (.null, _), (_, .null): return a == b
        case (.bool, .bool), (.int, .int), (.double, .double), (.string, .string), (.array, .array),
            (.object, .object):
            return a == b
        default:
            throw CallError(message: "incompatible types for comparison: \(a.goTypeName) and \(b.goTypeName)")
        }
    }

    static func less(_ a: TemplateValue, _ b: TemplateValue) throws(CallError) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): return x < y
        case let (.double(x), .double(y)): return x < y
        case let (.int(x), .double(y)): return Double(x) < y
        case let (.double(x), .int(y)): return x < Double(y)
        case let (.string(x), .string(y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
        default:
            for v in [a, b] {
                switch v {
                case .int, .double, .string: continue
                default: throw CallError(message: "invalid type for comparison")
                }
            }
            throw CallError(message: "incompatible types for comparison: \(a.goTypeName) and \(b.goTypeName)")
        }
    }
}
