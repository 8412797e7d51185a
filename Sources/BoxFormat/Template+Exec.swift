/// Runs a parsed template, following Go's `text/template` exec semantics.
struct Executor {
    enum Flow {
        case normal, breakLoop, continueLoop
    }

    private let source: String
    /// Set when rendering a table header: field chains evaluate to column titles.
    private let header: [String: String]?
    private var vars: [(name: String, value: TemplateValue)]
    private(set) var out = ""

    init(source: String, root: TemplateValue, header: [String: String]?) {
        self.source = source
        self.header = header
        self.vars = [("$", root)]
    }

    private func error(_ message: String) -> TemplateError {
        TemplateError(.executing, source: source, message: message)
    }

    // MARK: Walking nodes

    mutating func walk(_ nodes: [Node], dot: TemplateValue) throws(TemplateError) -> Flow {
        for node in nodes {
            let flow = try walk(node, dot: dot)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private mutating func walk(_ node: Node, dot: TemplateValue) throws(TemplateError) -> Flow {
        switch node {
        case .text(let text):
            out += text
        case .action(let pipe):
            let value = try evalPipeline(pipe, dot: dot)
            if pipe.decl.isEmpty { out += GoPrint.action(value) }
        case .ifElse(let pipe, let list, let elseList):
            let mark = vars.count
            defer { vars.removeSubrange(mark...) }
            let value = try evalPipeline(pipe, dot: dot)
            return try walk(value.isTruthy ? list : elseList, dot: dot)
        case .with(let pipe, let list, let elseList):
            let mark = vars.count
            defer { vars.removeSubrange(mark...) }
            let value = try evalPipeline(pipe, dot: dot)
            return value.isTruthy ? try walk(list, dot: value) : try walk(elseList, dot: dot)
        case .range(let pipe, let list, let elseList):
            let mark = vars.count
            defer { vars.removeSubrange(mark...) }
            try walkRange(pipe, list, elseList, dot: dot)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    private mutating func walkRange(
        _ pipe: Pipeline, _ list: [Node], _ elseList: [Node], dot: TemplateValue
    ) throws(TemplateError) {
        let value = try evalPipeline(pipe, dot: dot, declare: false)
        if !pipe.isAssign { for name in pipe.decl { vars.append((name, value)) } }
        var sorted: [(String, TemplateValue)] = []
        let count: Int
        switch value {
        case .array(let items): count = items.count
        case .object(let pairs):
            sorted = TemplateValue.sortedPairs(pairs)
            count = sorted.count
        case .int(let n):
            if pipe.decl.count > 1 { throw error("can't use \(n) to iterate over more than one variable") }
            count = Int(clamping: max(0, n))
        case .null: count = 0
        case .string where header != nil: count = 1
        default: throw error("range can't iterate over \(GoPrint.plain(value))")
        }
        if count == 0 {
            _ = try walk(elseList, dot: dot)
            return
        }
        let inner = vars.count
        for i in 0..<count {
            let key: TemplateValue
            let element: TemplateValue
            switch value {
            case .array(let items): (key, element) = (.int(Int64(i)), items[i])
            case .object: (key, element) = (.string(sorted[i].0), sorted[i].1)
            case .int: (key, element) = (.null, .int(Int64(i)))
            default: (key, element) = (.int(0), value)
            }
            if pipe.isAssign {
                if pipe.decl.count > 1 {
                    try setVar(pipe.decl[0], key)
                    try setVar(pipe.decl[1], element)
                } else if let name = pipe.decl.first {
                    try setVar(name, element)
                }
            } else {
                if !pipe.decl.isEmpty { vars[inner - 1].value = element }
                if pipe.decl.count > 1 { vars[inner - 2].value = key }
            }
            let flow = try walk(list, dot: element)
            vars.removeSubrange(inner...)
            if flow == .breakLoop { break }
        }
    }

    // MARK: Variables

    private func lookup(_ name: String) throws(TemplateError) -> TemplateValue {
        guard let found = vars.last(where: { $0.name == name }) else { throw error("undefined variable: \(name)") }
        return found.value
    }

    private mutating func setVar(_ name: String, _ value: TemplateValue) throws(TemplateError) {
        guard let at = vars.lastIndex(where: { $0.name == name }) else { throw error("undefined variable: \(name)") }
        vars[at].value = value
    }

    // MARK: Evaluation

    private mutating func evalPipeline(
        _ pipe: Pipeline, dot: TemplateValue, declare: Bool = true
    ) throws(TemplateError) -> TemplateValue {
        var value: TemplateValue?
        for command in pipe.commands { value = try evalCommand(command, dot: dot, final: value) }
        let result = value ?? .null
        if declare {
            for name in pipe.decl {
                if pipe.isAssign { try setVar(name, result) } else { vars.append((name, result)) }
            }
        }
        return result
    }

    private func notAFunction(_ args: [Operand], _ final: TemplateValue?) throws(TemplateError) {
        if args.count > 1 || final != nil { throw error("can't give argument to non-function \(args[0].text)") }
    }

    private mutating func evalCommand(
        _ args: [Operand], dot: TemplateValue, final: TemplateValue?
    ) throws(TemplateError) -> TemplateValue {
        switch args[0] {
        case .field(let names):
            return try fieldChain(dot, names, args: args, final: final)
        case .chain(let base, let names):
            return try fieldChain(try evalArg(base, dot: dot), names, args: args, final: final)
        case .identifier(let name):
            return try function(name, Array(args.dropFirst()), dot: dot, final: final)
        case .variable(let name, let names):
            let value = try lookup(name)
            if names.isEmpty {
                try notAFunction(args, final)
                return value
            }
            return try fieldChain(value, names, args: args, final: final)
        case .pipe(let pipe):
            try notAFunction(args, final)
            return try evalPipeline(pipe, dot: dot)
        case .dot:
            try notAFunction(args, final)
            return dot
        case .nilValue:
            try notAFunction(args, final)
            throw error("nil is not a command")
        case .literal(let value):
            try notAFunction(args, final)
            return value
        }
    }

    private mutating func evalArg(_ node: Operand, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        switch node {
        case .dot: return dot
        case .nilValue: return .null
        case .literal(let value): return value
        case .field(let names): return try fieldChain(dot, names, args: [node], final: nil)
        case .variable(let name, let names):
            let value = try lookup(name)
            return names.isEmpty ? value : try fieldChain(value, names, args: [node], final: nil)
        case .pipe(let pipe): return try evalPipeline(pipe, dot: dot)
        case .identifier(let name): return try function(name, [], dot: dot, final: nil)
        case .chain(let base, let names):
            return try fieldChain(try evalArg(base, dot: dot), names, args: [node], final: nil)
        }
    }

    /// `.A.B.C` on `receiver`. Objects yield the key's value or null when missing (like Go maps); null
    /// yields null (lenient, where Go would fail on a nil interface); anything else is an error.
    private func fieldChain(
        _ receiver: TemplateValue, _ names: [String], args: [Operand], final: TemplateValue?
    ) throws(TemplateError) -> TemplateValue {
        if let header { return .string(HeaderName.title(for: names, in: header)) }
        var value = receiver
        for (i, name) in names.enumerated() {
            switch value {
            case .object:
                if i == names.count - 1 && (args.count > 1 || final != nil) {
                    throw error("\(name) is not a method but has arguments")
                }
                value = value.lookup(name) ?? .null
            case .null:
                return .null
            default:
                throw error("can't evaluate field \(name) in type \(value.goTypeName)")
            }
        }
        return value
    }

    private mutating func function(
        _ name: String, _ argNodes: [Operand], dot: TemplateValue, final: TemplateValue?
    ) throws(TemplateError) -> TemplateValue {
        guard let (minimum, maximum) = Builtins.arity(name) else {
            throw error("\(GoQuote.quote(name)) is not a defined function")
        }
        let count = argNodes.count + (final == nil ? 0 : 1)
        if let maximum, maximum == minimum, count != maximum {
            throw error("wrong number of args for \(name): want \(maximum) got \(count)")
        }
        if count < minimum { throw error("wrong number of args for \(name): want at least \(minimum) got \(count)") }
        if name == "and" || name == "or" {
            var value = TemplateValue.null
            for node in argNodes {
                value = try evalArg(node, dot: dot)
                if value.isTruthy == (name == "or") { return value }
            }
            return final ?? value
        }
        var args: [TemplateValue] = []
        for node in argNodes { args.append(try evalArg(node, dot: dot)) }
        if let final { args.append(final) }
        if header != nil && Builtins.dockerStringFunctions.contains(name) { return args[0] }
        do throws(CallError) {
            return try Builtins.call(name, args)
        } catch {
            throw self.error(error.wrapped ? "error calling \(name): \(error.message)" : error.message)
        }
    }
}
