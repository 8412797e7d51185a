import Testing

@testable import BoxFormat

@Suite struct TemplateErrorTests {
    @Test(arguments: [
        ("{{.Foo", "unclosed action"),
        ("a {{ .Foo }", "unexpected \"}\" in operand"),
        ("{{.Foo}", "bad character U+007D '}'"),
        ("{{foo}}", "function \"foo\" not defined"),
        ("{{.A | nope}}", "function \"nope\" not defined"),
        ("{{end}}", "unexpected {{end}}"),
        ("{{.A}}{{end}}", "unexpected {{end}}"),
        ("{{else}}", "unexpected {{else}}"),
        ("{{if .A}}x", "unexpected EOF"),
        ("{{range .A}}x{{else}}y{{else}}z{{end}}", "expected end; found {{else}}"),
        ("{{end x}}", "unexpected \"x\" in end"),
        ("{{}}", "missing value for command"),
        ("{{ }}", "missing value for command"),
        ("{{if}}{{end}}", "missing value for if"),
        ("{{if .A}}{{else if}}{{end}}", "missing value for if"),
        ("{{range}}{{end}}", "missing value for range"),
        ("{{\"abc}}", "unterminated quoted string"),
        ("{{\"a\nb\"}}", "unterminated quoted string"),
        ("{{`abc}}", "unterminated raw quoted string"),
        ("{{'a}}", "unterminated character constant"),
        ("{{'ab'}}", "malformed character constant: 'ab'"),
        ("{{\"\\q\"}}", "invalid syntax"),
        ("{{$x}}", "undefined variable \"$x\""),
        ("{{if true}}{{$x := 1}}{{end}}{{$x}}", "undefined variable \"$x\""),
        ("{{.A | 3}}", "non executable command in pipeline stage 2"),
        ("{{.A | .B | \"s\"}}", "non executable command in pipeline stage 3"),
        ("{{(.A}}", "unclosed left paren"),
        ("{{.A)}}", "unexpected right paren"),
        ("{{(.A) x}}", "function \"x\" not defined"),
        ("{{break}}", "{{break}} outside {{range}}"),
        ("{{if true}}{{continue}}{{end}}", "{{continue}} outside {{range}}"),
        ("{{range .}}{{break 1}}{{end}}", "unexpected \"1\" in {{break}}"),
        ("{{/* x }}", "unclosed comment"),
        ("{{/* x */ .A}}", "comment ends before closing delimiter"),
        ("{{template \"x\"}}", "{{template}} is not supported"),
        ("{{define \"x\"}}{{end}}", "{{define}} is not supported"),
        ("{{1a}}", "bad number syntax: \"1a\""),
        ("{{-}}", "illegal number syntax: \"-\""),
        ("{{99999999999999999999}}", "integer overflow: \"99999999999999999999\""),
        ("{{18446744073709551615}}", "18446744073709551615 overflows int"),
        ("{{\"a\".B}}", "unexpected . after term \"\\\"a\\\"\""),
        ("{{.A !}}", "unexpected \"!\" in operand"),
        ("{{.A:}}", "expected :="),
        ("{{range $a, $b, $c := .}}{{end}}", "too many declarations in range"),
        ("{{with $x, $y := .}}{{end}}", "too many declarations in with"),
        ("{{range $a, 3}}{{end}}", "range can only initialize variables"),
        ("{{.A \u{7}}}", "bad character U+0007"),
        ("{{if .A}}{{else with .B}}{{end}}", "unexpected <with> in input"),
    ])
    func parseErrors(source: String, message: String) {
        #expect(throws: TemplateError(.parsing, source: source, message: message)) { try Template(source) }
    }

    @Test(arguments: [
        ("{{.ID.Foo}}", "can't evaluate field Foo in type string"),
        ("{{.Names.First}}", "can't evaluate field First in type []interface {}"),
        ("{{.Count.X}}", "can't evaluate field X in type int"),
        ("{{.Ratio.X}}", "can't evaluate field X in type float64"),
        ("{{.Running.X}}", "can't evaluate field X in type bool"),
        ("{{.ID 1}}", "ID is not a method but has arguments"),
        ("{{1 | .ID}}", "ID is not a method but has arguments"),
        ("{{range .ID}}{{end}}", "range can't iterate over 3f2a1b9c8d7e"),
        ("{{range .Running}}{{end}}", "range can't iterate over true"),
        ("{{range $i, $v := 3}}{{end}}", "can't use 3 to iterate over more than one variable"),
        ("{{nil}}", "nil is not a command"),
        ("{{. 1}}", "can't give argument to non-function ."),
        ("{{$ 1}}", "can't give argument to non-function $"),
        ("{{\"a\" | (1)}}", "can't give argument to non-function (1)"),
        ("{{(.ID) 1}}", "can't give argument to non-function (.ID)"),
        ("{{($x := .ID | len) 1}}", "can't give argument to non-function ($x := .ID | len)"),
        ("{{eq 1 \"a\"}}", "error calling eq: incompatible types for comparison: int and string"),
        ("{{eq 1}}", "error calling eq: missing argument for comparison"),
        ("{{lt true false}}", "error calling lt: invalid type for comparison"),
        ("{{lt 1 \"a\"}}", "error calling lt: incompatible types for comparison: int and string"),
        ("{{index .Names 5}}", "error calling index: index out of range: 5"),
        ("{{index .Names -1}}", "error calling index: index out of range: -1"),
        ("{{index .Names \"a\"}}", "error calling index: cannot index slice/array with type string"),
        ("{{index .Labels 1}}", "error calling index: value has type int; should be string"),
        ("{{index .Count 1}}", "error calling index: can't index item of type int"),
        ("{{index .Nothing 1}}", "error calling index: index of untyped nil"),
        ("{{slice .Names 2 1}}", "error calling slice: invalid slice index: 2 > 1"),
        ("{{slice .Names 0 3}}", "error calling slice: index out of range: 3"),
        ("{{slice .ID 0 1 2}}", "error calling slice: cannot 3-index slice a string"),
        ("{{slice .Count 1}}", "error calling slice: can't slice item of type int"),
        ("{{len 3}}", "error calling len: len of type int"),
        ("{{len .Nothing}}", "error calling len: len of nil pointer"),
        ("{{upper 3}}", "wrong type for value; expected string; got int"),
        ("{{upper .Missing}}", "invalid value; expected string"),
        ("{{join .ID \",\"}}", "wrong type for value; expected []string; got string"),
        ("{{truncate .ID \"x\"}}", "wrong type for value; expected int; got string"),
        ("{{join .Names}}", "wrong number of args for join: want 2 got 1"),
        ("{{.Names | join \",\" \"x\"}}", "wrong number of args for join: want 2 got 3"),
        ("{{and}}", "wrong number of args for and: want at least 1 got 0"),
        ("{{printf}}", "wrong number of args for printf: want at least 1 got 0"),
    ])
    func executionErrors(source: String, message: String) {
        #expect(throws: TemplateError(.executing, source: source, message: message)) { try render(source) }
    }

    @Test func descriptions() {
        #expect(TemplateError(.parsing, source: "{{.Foo", message: "unclosed action").description
            == "template: parsing \"{{.Foo\": unclosed action")
        do {
            _ = try render("{{.Foo.Bar}}", ["Foo": "s"])
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "template: executing \"{{.Foo.Bar}}\": can't evaluate field Bar in type string")
        }
        let multiline = TemplateError(.parsing, source: "{{.A}}\t\"x\"\n", message: "m")
        #expect(multiline.description == #"template: parsing "{{.A}}\t\"x\"\n": m"#)
    }

    @Test func errorsStopOutput() {
        #expect(throws: TemplateError.self) { try render("{{range .Names}}{{.}}{{.X}}{{end}}") }
    }
}

@Suite struct TemplateDepthTests {
    @Test func deepNestingWithinTheLimitWorks() throws {
        let parens = String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100)
        #expect(try render("{{" + parens + "}}") == "1")
        let ifs = String(repeating: "{{if 1}}", count: 100) + "x" + String(repeating: "{{end}}", count: 100)
        #expect(try render(ifs) == "x")
    }

    @Test func deeperNestingIsRejected() {
        let parens = "{{" + String(repeating: "(", count: 101) + "1" + String(repeating: ")", count: 101) + "}}"
        #expect(throws: TemplateError(.parsing, source: parens, message: "max expression depth exceeded")) {
            try Template(parens)
        }
        let ranges = String(repeating: "{{range .}}", count: 101) + String(repeating: "{{end}}", count: 101)
        #expect(throws: TemplateError(.parsing, source: ranges, message: "max expression depth exceeded")) {
            try Template(ranges)
        }
    }
}
