import FoundationEssentials
import Testing

@testable import BoxFormat

private struct Port: Encodable {
    var Private = 80
    var Proto = "tcp"
}

private struct Container: Encodable {
    var ID = "abc"
    var Names = ["web"]
    var Created: Int64 = 1_700_000_000
    var Size = 1.5
    var Ports = [Port()]
    var Missing: String? = nil
    var Running = true
    var Raw = Data([1, 2, 3])
    var Ratio: Float = 0.1
}

@Suite struct TemplateValueTests {
    @Test func literalsBuildValues() {
        let v: TemplateValue = ["b": 1, "a": [true, nil, 2.5, "x"], "b": 3]
        #expect(v == .object([("b", .int(3)), ("a", .array([.bool(true), .null, .double(2.5), .string("x")]))]))
        #expect(v["a"]?[3] == "x")
        #expect(v["a"]?[9] == nil)
        #expect(v["zzz"] == nil)
        #expect(TemplateValue.string("s")["a"] == nil)
        #expect(v != .object([("a", .null), ("b", .int(3))]))
        #expect(TemplateValue.int(1) != .double(1))
    }

    @Test(arguments: [
        (TemplateValue.null, false), (.bool(false), false), (.bool(true), true), (.int(0), false), (.int(-1), true),
        (.double(0), false), (.double(0.1), true), (.string(""), false), (.string("0"), true),
        (.array([]), false), (.array([.null]), true), (.object([]), false), (.object([("a", .null)]), true),
    ])
    func truthiness(value: TemplateValue, truthy: Bool) {
        #expect(value.isTruthy == truthy)
    }

    @Test func encodingKeepsDeclarationOrder() throws {
        let v = try TemplateValue(encoding: Container())
        guard case .object(let pairs) = v else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.map(\.0) == ["ID", "Names", "Created", "Size", "Ports", "Running", "Raw", "Ratio"])
        #expect(v["Raw"] == "AQID")
        #expect(v["Ratio"] == .double(0.1))
        #expect(
            v.jsonString
                == #"{"ID":"abc","Names":["web"],"Created":1700000000,"Size":1.5,"Ports":[{"Private":80,"Proto":"tcp"}],"#
                + #""Running":true,"Raw":"AQID","Ratio":0.1}"#)
    }

    @Test func encodingScalarsAndCollections() throws {
        #expect(try TemplateValue(encoding: 5) == .int(5))
        #expect(try TemplateValue(encoding: UInt64.max) == .double(18_446_744_073_709_551_615))
        #expect(try TemplateValue(encoding: "s") == "s")
        #expect(try TemplateValue(encoding: [1, 2]) == [1, 2])
        #expect(try TemplateValue(encoding: ["k": [true]]) == ["k": [true]])
        #expect(try TemplateValue(encoding: [String?.none, "x"]) == [nil, "x"])
        #expect(try TemplateValue(encoding: TemplateValue.object([("z", 1), ("a", 2)])) == ["z": 1, "a": 2])
    }

    @Test func jsonParsingKeepsOrder() throws {
        let v = try TemplateValue(json: #" {"b": 1, "a": [true, null, 2.5, -3, 1e2, "x\u00e9\n\ud83d\ude00"], "b": 3} "#)
        #expect(v == ["b": 3, "a": [true, nil, 2.5, -3, 100.0, "xé\n😀"]])
        #expect(try TemplateValue(json: "[]") == [])
        #expect(try TemplateValue(json: "{}") == .object([]))
        #expect(try TemplateValue(json: "9223372036854775808") == .double(9_223_372_036_854_775_808))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "[1}", "{\"a\":+1}", "\"\\q\"", "01", "1.", "-", ".5", "1e",
    ])
    func jsonParsingRejectsInvalid(text: String) {
        #expect(throws: DecodingError.self) { try TemplateValue(json: text) }
    }

    @Test func decodableSortsKeysAndEncodableRoundTrips() throws {
        let decoded = try JSONDecoder().decode(TemplateValue.self, from: Data(#"{"b":[1,2.5,"x",null,false],"a":{}}"#.utf8))
        #expect(decoded == ["a": .object([]), "b": [1, 2.5, "x", nil, false]])
        let encoded = try JSONEncoder().encode(TemplateValue.array([1, "a", nil, true, 2.5, [3]]))
        #expect(String(decoding: encoded, as: UTF8.self) == #"[1,"a",null,true,2.5,[3]]"#)
    }

    @Test(arguments: [
        (TemplateValue.string("a\"b\\c\n\t\r\u{8}\u{c}\u{1}<>&\u{2028}é"), #""a\"b\\c\n\t\r\b\f\u0001<>&\u2028é""#),
        (.double(1e21), "1e+21"), (.double(1e-7), "1e-7"), (.double(0.000001), "0.000001"), (.double(100), "100"),
        (.double(-0.5), "-0.5"), (.double(1e20), "100000000000000000000"), (.double(.infinity), "null"),
        (.int(-42), "-42"), (.null, "null"), (.array([]), "[]"), (.object([]), "{}"),
        (TemplateValue(dictionaryLiteral: ("z", 1), ("a", [true, nil])), #"{"z":1,"a":[true,null]}"#),
    ])
    func jsonString(value: TemplateValue, json: String) {
        #expect(value.jsonString == json)
    }

    @Test func settingReplacesOrAppends() {
        let v: TemplateValue = ["a": 1, "b": 2]
        #expect(v.setting("a", to: 9) == ["a": 9, "b": 2])
        #expect(v.setting("c", to: 3) == ["a": 1, "b": 2, "c": 3])
        #expect(TemplateValue.null.setting("x", to: 1) == ["x": 1])
    }
}
