import Testing
@testable import BoxFormat

@Test func smoke() throws {
    #expect(try Template("{{.A}}").render(["A": "x"]) == "x")
}
