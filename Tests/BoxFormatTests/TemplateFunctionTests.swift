import Testing

@testable import BoxFormat

@Suite struct TemplateFunctionTests {
    @Test(arguments: [
        ("{{json .Names}}", #"["web","db"]"#),
        ("{{json .Labels}}", #"{"z":"last","a":"first","com.example":"x"}"#),
        ("{{json .Nothing}}", "null"),
        ("{{json .Missing}}", "null"),
        ("{{json .Ratio}}", "0.5"),
        ("{{json \"<a&b>\"}}", #""<a&b>""#),
        ("{{json .Ports}}", #"[{"Private":80,"Public":8080,"Type":"tcp"},{"Private":443,"Type":"tcp"}]"#),
        ("{{join .Names \", \"}}", "web, db"),
        ("{{join .Nothing \",\"}}", ""),
        ("{{join (split \"a:b:c\" \":\") \"/\"}}", "a/b/c"),
        ("{{split \"a,b,,c\" \",\"}}", "[a b  c]"),
        ("{{len (split \"\" \",\")}}", "1"),
        ("{{split \"hé\" \"\"}}", "[h é]"),
        ("{{upper \"abc\"}} {{lower \"ÀBC\"}}", "ABC àbc"),
        ("{{title \"hello wORLD-foo_bar 1st élan\"}}", "Hello WORLD-Foo_bar 1st Élan"),
        ("{{truncate \"abcdef\" 3}}|{{truncate \"ab\" 5}}|{{truncate \"héllo\" 2}}", "abc|ab|hé"),
        ("{{truncate .ID 4}}", "3f2a"),
        ("{{pad \"x\" 2 1}}|{{pad \"\" 2 2}}|", "  x ||"),
        ("{{.ID | truncate 3}}", "wrong"),
        ("{{len .ID}} {{len \"é\"}} {{len .Names}} {{len .Labels}}", "12 2 2 3"),
        ("{{index .Labels \"z\"}} {{index .Names 1}} {{index .Ports 0 \"Type\"}}", "last db tcp"),
        ("{{index .Labels \"no\"}}", "<no value>"),
        ("{{index \"abc\" 1}}", "98"),
        ("{{index .Names}}", "[web db]"),
        ("{{slice .Names 1}} {{slice .ID 0 4}} {{slice .Names}} {{slice .Names 0 1 2}}", "[db] 3f2a [web db] [web]"),
        ("{{not .Running}} {{not .Empty}}", "false true"),
        ("{{and .Running .Count}}|{{and .Empty .Count}}|{{and 1 0 2}}", "3||0"),
        ("{{or .Empty .Nothing}}|{{or .Empty \"default\"}}|{{or 0 .Missing.X 3}}", "<no value>|default|3"),
        ("{{.Count | and true}}|{{\"\" | or \"x\"}}|{{0 | or \"\"}}", "3|x|0"),
        ("{{or .Running (index .Names 9)}}", "true"),
        ("{{and .Empty (index .Names 9)}}", ""),
        ("{{eq 1 1}} {{eq \"a\" \"b\" \"a\"}} {{eq 1 1.0}}", "true true true"),
        ("{{eq .Nothing nil}} {{eq .Names .Names}} {{eq .ID nil}}", "true true false"),
        ("{{ne 1 2}} {{ne \"a\" \"a\"}}", "true false"),
        ("{{lt 1 2}} {{lt 2 1}} {{lt \"a\" \"b\"}} {{lt 1.5 2}} {{lt 2 1.5}}", "true false true true false"),
        ("{{le 2 2}} {{le 3 2}} {{gt \"b\" \"a\"}} {{gt 2 2}} {{ge 1.5 2}} {{ge 2 2}}", "true false true false false true"),
        ("{{print 1 2 \"a\" 3 \"b\" \"c\"}}", "1 2a3bc"),
        ("{{print .Names .Count}}", "[web db] 3"),
        ("{{print}}|{{print .Missing}}", "|<nil>"),
        ("{{println 1 \"a\"}}", "1 a\n"),
        ("{{html \"<a href='x'>&\\\"\"}}", "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"),
        ("{{js \"it's <b>\\n\"}}", "it\\'s \\u003Cb\\u003E\\u000A"),
        ("{{urlquery \"a b&c=d/é\"}}", "a+b%26c%3Dd%2F%C3%A9"),
        ("{{html 1 2}}", "1 2"),
    ])
    func functions(source: String, expected: String) throws {
        if expected == "wrong" {
            #expect(throws: TemplateError.self) { try render(source) }
        } else {
            #expect(try render(source) == expected)
        }
    }

    @Test(arguments: [
        ("%s-%d", [.string("a"), .int(5)], "a-5"),
        ("%-6s|%6s|", ["ab", "cd"], "ab    |    cd|"),
        ("%q %q %+q", ["a\"b\n", 65, "é"], #""a\"b\n" 'A' "\u00e9""#),
        ("%#q", ["a\"b"], "`a\"b`"),
        ("%v %v %v %v", [[1, "a"], ["k": true], nil, 1.5], "[1 a] map[k:true] <nil> 1.5"),
        ("%t %v", [true, false], "true false"),
        ("%x %X %#x %o %#o %O", [255, 255, 255, 8, 8, 8], "ff FF 0xff 10 010 0o10"),
        ("%b %c %U %#U", [5, 65, 65, 233], "101 A U+0041 U+00E9 'é'"),
        ("%x %X % x", ["hi", "hi", "hi"], "6869 6869 68 69"),
        ("%d %+d % d %5d|%-5d|%05d %.3d %8.3d", [-3, 5, 5, 42, 42, -42, 5, 5], "-3 +5  5    42|42   |-0042 005      005"),
        ("%.0d|%5.0d|", [0, 0], "|     |"),
        ("%f %.2f %.0f %.0f %.1f %8.3f|%-8.2f|%08.3f %+.1f",
         [3.14159, 3.14159, 2.5, 3.5, 0.25, 3.14159, 3.14159, -3.14159, 2.0],
         "3.141590 3.14 2 4 0.2    3.142|3.14    |-003.142 +2.0"),
        ("%e %.3e %E %g %G %.3g %.3g %.10g %g",
         [123456.789, 123456.789, 0.000123, 0.000012345, 1e-7, 3.14159, 1234.5, 1234.5, 100000.0],
         "1.234568e+05 1.235e+05 1.230000E-04 1.2345e-05 1E-07 3.14 1.23e+03 1234.5 100000"),
        ("%v %f %d", [.double(.infinity), .double(-.infinity), 1], "+Inf -Inf 1"),
        ("%5.1f|%05.1f|%6.2v", [3.14159, -2.5, 3.14159], "  3.1|-02.5|   3.1"),
        ("%.2s|%.5s|%5.1s|", ["héllo", "ab", "xyz"], "hé|ab|    x|"),
        ("%*d|%-*d|%.*f", [4, 7, 3, 1, 2, 3.14159], "   7|1  |3.14"),
        ("%d%%", [50], "50%"),
        ("%d", ["x"], "%!d(string=x)"),
        ("%s %s", [1, nil], "%!s(int=1) %!s(<nil>)"),
        ("%d %t", [1.5, "s"], "%!d(float64=1.5) %!t(string=s)"),
        ("%d", [["a", 1]], "[%!d(string=a) 1]"),
        ("%d %s", [1], "1 %!s(MISSING)"),
        ("a", [1, "b", nil], "a%!(EXTRA int=1, string=b, <nil>)"),
        ("%", [], "%!(NOVERB)"),
        ("%z", [1], "%!z(int=1)"),
        ("%v", [.double(5e-324)], "5e-324"),
        ("%v %v %v %v", [.double(1e21), .double(123456789.0), .double(0.0001), .double(-0.0)],
         "1e+21 1.23456789e+08 0.0001 -0"),
    ] as [(String, [TemplateValue], String)])
    func printf(format: String, args: [TemplateValue], expected: String) {
        #expect(GoPrintf.sprintf(format, args) == expected)
    }

    @Test func printfInTemplate() throws {
        #expect(try render("{{printf \"%-8s|%3d\" .ID 7}}") == "3f2a1b9c8d7e|  7")
        #expect(try render("{{printf \"%v and %s\" .Names .Nested.Inner}}") == "[web db] and map[Deep:yes]")
        #expect(try render("{{printf \"%v\" .Missing}}") == "<nil>")
    }
}
