import Testing

@testable import BoxFormat

/// A Docker-like container as templates see it.
let sample: TemplateValue = [
    "ID": "3f2a1b9c8d7e",
    "Names": ["web", "db"],
    "Count": 3,
    "Ratio": 0.5,
    "Running": true,
    "Empty": "",
    "Nothing": nil,
    "Labels": TemplateValue(dictionaryLiteral: ("z", "last"), ("a", "first"), ("com.example", "x")),
    "Ports": [
        TemplateValue(dictionaryLiteral: ("Private", 80), ("Public", 8080), ("Type", "tcp")),
        TemplateValue(dictionaryLiteral: ("Private", 443), ("Type", "tcp")),
    ],
    "Nested": ["Inner": ["Deep": "yes"]],
]

func render(_ source: String, _ value: TemplateValue = sample) throws(TemplateError) -> String {
    try Template(source).render(value)
}

@Suite struct TemplateRenderTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("", ""),
        ("{{.ID}}", "3f2a1b9c8d7e"),
        ("{{ .ID }}", "3f2a1b9c8d7e"),
        ("{{.Names}}", "[web db]"),
        ("{{.Count}}", "3"),
        ("{{.Ratio}}", "0.5"),
        ("{{.Running}}", "true"),
        ("{{.Empty}}", ""),
        ("{{.Nothing}}", "<no value>"),
        ("{{.Missing}}", "<no value>"),
        ("{{.Missing.Deeper}}", "<no value>"),
        ("{{.Labels}}", "map[a:first com.example:x z:last]"),
        ("{{.Ports}}", "[map[Private:80 Public:8080 Type:tcp] map[Private:443 Type:tcp]]"),
        ("{{.Nested.Inner.Deep}}", "yes"),
        ("{{.Nested.Inner}}", "map[Deep:yes]"),
        ("{{(index .Ports 1).Private}}", "443"),
        ("{{$.ID}}", "3f2a1b9c8d7e"),
        ("{{$}}", "map[Deep:yes]"),
        ("{{.}}", "map[Deep:yes]"),
    ])
    func fields(source: String, expected: String) throws {
        let value: TemplateValue = source.contains("$}") || source == "{{.}}" ? ["Deep": "yes"] : sample
        #expect(try render(source, value) == expected)
    }

    @Test(arguments: [
        ("{{if .Running}}up{{else}}down{{end}}", "up"),
        ("{{if .Empty}}a{{end}}", ""),
        ("{{if .Empty}}a{{else if .Count}}b{{else}}c{{end}}", "b"),
        ("{{if not .Running}}a{{else if eq .Count 4}}b{{else}}c{{end}}", "c"),
        ("{{if and .Running (gt .Count 2)}}big{{end}}", "big"),
        ("{{if .Nothing}}a{{else}}nil is false{{end}}", "nil is false"),
        ("{{if .Labels}}labels{{end}}", "labels"),
        ("{{with .Nested}}{{.Inner.Deep}}{{end}}", "yes"),
        ("{{with .Empty}}x{{else}}empty{{end}}", "empty"),
        ("{{with .Missing}}x{{else with .Count}}count {{.}}{{end}}", "count 3"),
        ("{{with $x := .Count}}{{$x}}{{.}}{{end}}", "33"),
        ("{{range .Names}}[{{.}}]{{end}}", "[web][db]"),
        ("{{range $i, $n := .Names}}{{$i}}={{$n}} {{end}}", "0=web 1=db "),
        ("{{range $n := .Names}}{{$n}}{{end}}", "webdb"),
        ("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", "a=first;com.example=x;z=last;"),
        ("{{range .Nothing}}x{{else}}none{{end}}", "none"),
        ("{{range .Missing}}x{{end}}", ""),
        ("{{range $p := .Ports}}{{$p.Private}}/{{$p.Type}} {{end}}", "80/tcp 443/tcp "),
        ("{{range .Ports}}{{.Public}},{{end}}", "8080,<no value>,"),
        ("{{range .Names}}{{if eq . \"db\"}}{{break}}{{end}}{{.}}{{end}}", "web"),
        ("{{range .Names}}{{if eq . \"web\"}}{{continue}}{{end}}{{.}}{{end}}", "db"),
        ("{{range 3}}{{.}}{{end}}", "012"),
        ("{{range $i := 2}}{{$i}}{{end}}", "01"),
        ("{{range .Names}}{{$.Count}}{{end}}", "33"),
        ("{{range .Ports}}{{range $.Names}}{{.}}{{end}}|{{end}}", "webdb|webdb|"),
        ("{{$x := .Count}}{{$x}}", "3"),
        ("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"),
        ("{{$x := 1}}{{range .Names}}{{$x := 5}}{{$x}}{{end}}{{$x}}", "551"),
        ("{{$i := 0}}{{range .Names}}{{$i = .}}{{end}}{{$i}}", "db"),
        ("{{$k := 0}}{{$v := 0}}{{range $k, $v = .Labels}}{{end}}{{$k}}={{$v}}", "z=last"),
    ])
    func controlFlow(source: String, expected: String) throws {
        #expect(try render(source) == expected)
    }

    @Test(arguments: [
        ("a  {{- .Count -}}  b", "a3b"),
        ("a {{- /* comment */ -}} b", "ab"),
        ("a\n{{- .Count}}\n", "a3\n"),
        ("{{/* c */}}x", "x"),
        ("{{- /* only */ -}}", ""),
        ("{{-3}}", "-3"),
        ("x {{- 3 -}} y", "x3y"),
        ("{{if .Running -}}\n  up\n{{- end}}", "up"),
        ("{{\"quoted\\tstr\\u00e9\\x41\\101\"}}", "quoted\tstréAA"),
        ("{{`raw\\n`}}", "raw\\n"),
        ("{{'a'}} {{'\\n'}} {{'é'}}", "97 10 233"),
        ("{{1.5}} {{1e3}} {{1e6}} {{0x1F}} {{-7}}", "1.5 1000 1e+06 31 -7"),
        ("{{1_000}} {{010}} {{0b101}} {{0o17}} {{.5}} {{+2}}", "1000 8 5 15 0.5 2"),
        ("{{true}} {{false}}", "true false"),
        ("{{print nil}}", "<nil>"),
        ("{{(1)}} {{(\"s\")}}", "1 s"),
        ("{{.Count | printf \"%03d\"}}", "003"),
        ("{{.ID | printf \"%.4s\" | upper}}", "3F2A"),
        ("{{\"x\" | printf \"%s-%s\" \"y\"}}", "y-x"),
        ("{{(len .Names) | printf \"%d names\"}}", "2 names"),
        ("{{.Names | len}}", "2"),
        ("{{.Nested.Inner | len}}", "1"),
        ("{{.A |}}", "<no value>"),
        ("{{with .Ports}}{{(index . 0).Type}}{{end}}", "tcp"),
        ("{{.ID}}\n{{.Count}}", "3f2a1b9c8d7e\n3"),
        ("{{\n.Count\n}}", "3"),
        ("{{ $x := \"a\" }}{{ $x }}", "a"),
    ])
    func syntax(source: String, expected: String) throws {
        #expect(try render(source) == expected)
    }

    @Test func renderIsRepeatable() throws {
        let t = try Template("{{range .}}{{.}},{{end}}")
        #expect(try t.render([1, 2]) == "1,2,")
        #expect(try t.render(["x"]) == "x,")
        #expect(t.source == "{{range .}}{{.}},{{end}}")
    }

    @Test func headerRendering() throws {
        let t = try Template("{{.ID}}\t{{upper .Names}}\t{{json .CreatedAt}}\t{{.Labels.foo}}\t{{.Config.Image}}\t{{.}}|")
        let header = try t.renderHeader(["ID": "CONTAINER ID", "Config.Image": "IMG"])
        #expect(header == "CONTAINER ID\tNAMES\tCREATED AT\tFOO\tIMG\t|")
        let ranged = try Template("{{range .Mounts}}{{.}}{{end}}{{if .Size}}{{.Size}}{{end}}")
        #expect(try ranged.renderHeader([:]) == "MOUNTSSIZE")
    }
}
