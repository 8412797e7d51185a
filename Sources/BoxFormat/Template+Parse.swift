/// Builds the node tree from tokens, following Go's `text/template/parse` closely, including its messages.
struct Parser {
    private let source: String
    private let tokens: [Token]
    private var index = 0
    /// Variables in scope, innermost last; `$` is always defined.
    private var vars: [String] = ["$"]
    private var rangeDepth = 0
    /// Nesting of parentheses and control structures, bounded so hostile input cannot exhaust the stack.
    private var depth = 0
    static let maxDepth = 100

    init(source: String) {
        self.source = source
        var lexer = Lexer(source)
        self.tokens = lexer.run()
    }

    private func error(_ message: String) -> TemplateError {
        TemplateError(.parsing, source: source, message: message)
    }

    // MARK: Token stream

    private mutating func next() throws(TemplateError) -> Token {
        let token = peek()
        if token.kind == .error { throw error(token.text) }
        if index < tokens.count { index += 1 }
        return token
    }

    private func peek() -> Token {
        index < tokens.count ? tokens[index] : Token(kind: .eof, text: "")
    }

    private mutating func backup(_ n: Int = 1) { index -= n }

    private mutating func skipSpace() {
        while peek().kind == .space { index += 1 }
    }

    private mutating func nextNonSpace() throws(TemplateError) -> Token {
        skipSpace()
        return try next()
    }

    private mutating func peekNonSpace() -> Token {
        skipSpace()
        return peek()
    }

    private func unexpected(_ token: Token, _ context: String) -> TemplateError {
        token.kind == .error ? error(token.text) : error("unexpected \(token.described) in \(context)")
    }

    private mutating func expectRightDelim(_ context: String) throws(TemplateError) {
        let token = try nextNonSpace()
        if token.kind != .rightDelim { throw unexpected(token, context) }
    }

    // MARK: Structure

    /// The whole template.
    mutating func parseTemplate() throws(TemplateError) -> [Node] {
        var nodes: [Node] = []
        while peek().kind != .eof {
            switch try textOrAction() {
            case .node(let n): nodes.append(n)
            case .end: throw error("unexpected {{end}}")
            case .else: throw error("unexpected {{else}}")
            }
        }
        return nodes
    }

    private enum Item {
        case node(Node)
        case end
        case `else`
    }

    private mutating func textOrAction() throws(TemplateError) -> Item {
        let token = try nextNonSpace()
        switch token.kind {
        case .text: return .node(.text(token.text))
        case .leftDelim: return try action()
        default: throw unexpected(token, "input")
        }
    }

    /// Nodes up to `{{end}}` or `{{else}}`, and which one ended them.
    private mutating func itemList() throws(TemplateError) -> ([Node], Item) {
        var nodes: [Node] = []
        while peekNonSpace().kind != .eof {
            let item = try textOrAction()
            guard case .node(let n) = item else { return (nodes, item) }
            nodes.append(n)
        }
        if peek().kind == .error { throw error(peek().text) }
        throw error("unexpected EOF")
    }

    private mutating func action() throws(TemplateError) -> Item {
        let token = try nextNonSpace()
        if token.kind == .keyword {
            switch token.text {
            case "if", "with", "range": return .node(try control(token.text))
            case "end":
                try expectRightDelim("end")
                return .end
            case "else":
                let n = peekNonSpace()
                if !(n.kind == .keyword && (n.text == "if" || n.text == "with")) { try expectRightDelim("else") }
                return .else
            case "break", "continue":
                try expectRightDelim("{{\(token.text)}}")
                if rangeDepth == 0 { throw error("{{\(token.text)}} outside {{range}}") }
                return .node(token.text == "break" ? .breakLoop : .continueLoop)
            default:
                throw error("{{\(token.text)}} is not supported")
            }
        }
        backup()
        // Variables declared in an action stay in scope until the enclosing {{end}}.
        return .node(.action(try pipeline("command", end: .rightDelim)))
    }

    /// `{{if p}} … {{else if q}} … {{else}} … {{end}}`, and the same for with and range.
    private mutating func control(_ context: String) throws(TemplateError) -> Node {
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxDepth { throw error("max expression depth exceeded") }
        let mark = vars.count
        defer { vars.removeSubrange(mark...) }
        let pipe = try pipeline(context, end: .rightDelim)
        if context == "range" { rangeDepth += 1 }
        let (list, ended) = try itemList()
        if context == "range" { rangeDepth -= 1 }
        var elseList: [Node] = []
        if case .else = ended {
            let n = peekNonSpace()
            if (context == "if" || context == "with") && n.kind == .keyword && n.text == context {
                _ = try next()
                // `{{else if b}}` is `{{else}}{{if b}}…{{end}}{{end}}` sharing the one {{end}}.
                elseList = [try control(context)]
            } else {
                let (nodes, end) = try itemList()
                guard case .end = end else { throw error("expected end; found {{else}}") }
                elseList = nodes
            }
        }
        switch context {
        case "if": return .ifElse(pipe, list, elseList)
        case "with": return .with(pipe, list, elseList)
        default: return .range(pipe, list, elseList)
        }
    }

    // MARK: Pipelines

    private mutating func pipeline(_ context: String, end: Token.Kind) throws(TemplateError) -> Pipeline {
        var pipe = Pipeline()
        declarations: while peekNonSpace().kind == .variable {
            let variable = try next()
            let afterVariable = index
            let following = peekNonSpace()
            switch following.kind {
            case .assign, .declare:
                _ = try next()
                pipe.isAssign = following.kind == .assign
                pipe.decl.append(variable.text)
                vars.append(variable.text)
            case .char where following.text == ",":
                _ = try next()
                pipe.decl.append(variable.text)
                vars.append(variable.text)
                if context == "range" && pipe.decl.count < 2 {
                    switch peekNonSpace().kind {
                    case .variable, .rightDelim, .rightParen: continue declarations
                    default: throw error("range can only initialize variables")
                    }
                }
                throw error("too many declarations in \(context)")
            default:
                index = afterVariable - 1
            }
            break
        }
        while true {
            let token = try nextNonSpace()
            switch token.kind {
            case end:
                guard !pipe.commands.isEmpty else { throw error("missing value for \(context)") }
                for (i, command) in pipe.commands.enumerated().dropFirst() {
                    switch command.first {
                    case .dot, .nilValue, .literal: throw error("non executable command in pipeline stage \(i + 1)")
                    default: break
                    }
                }
                return pipe
            case .bool, .charConstant, .dot, .field, .identifier, .number, .nilValue, .rawString, .string,
                .variable, .leftParen:
                backup()
                pipe.commands.append(try command())
            default:
                throw unexpected(token, context)
            }
        }
    }

    private mutating func command() throws(TemplateError) -> [Operand] {
        var args: [Operand] = []
        while true {
            skipSpace()
            if let operand = try operand() { args.append(operand) }
            let token = try next()
            switch token.kind {
            case .space: continue
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(token, "operand")
            }
            break
        }
        if args.isEmpty { throw error("empty command") }
        return args
    }

    private mutating func operand() throws(TemplateError) -> Operand? {
        guard let term = try term() else { return nil }
        guard peek().kind == .field else { return term }
        var fields: [String] = []
        while peek().kind == .field { fields.append(String(try next().text.dropFirst())) }
        switch term {
        case .field(let base): return .field(base + fields)
        case .variable(let name, let base): return .variable(name, base + fields)
        case .dot, .nilValue, .literal: throw error("unexpected . after term \(GoQuote.quote(term.text))")
        default: return .chain(term, fields)
        }
    }

    private mutating func term() throws(TemplateError) -> Operand? {
        let token = try nextNonSpace()
        switch token.kind {
        case .identifier:
            guard Builtins.isDefined(token.text) else {
                throw error("function \(GoQuote.quote(token.text)) not defined")
            }
            return .identifier(token.text)
        case .dot: return .dot
        case .nilValue: return .nilValue
        case .variable:
            let parts = token.text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            guard vars.contains(name) else { throw error("undefined variable \(GoQuote.quote(name))") }
            return .variable(name, Array(parts.dropFirst()))
        case .field: return .field([String(token.text.dropFirst())])
        case .bool: return .literal(.bool(token.text == "true"))
        case .number, .charConstant: return .literal(try Literal.number(token, source: source))
        case .leftParen:
            depth += 1
            defer { depth -= 1 }
            if depth > Parser.maxDepth { throw error("max expression depth exceeded") }
            return .pipe(try pipeline("parenthesized pipeline", end: .rightParen))
        case .string, .rawString: return .literal(.string(try Literal.unquote(token, source: source)))
        default:
            backup()
            return nil
        }
    }
}
