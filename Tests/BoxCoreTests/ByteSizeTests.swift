import BoxCore
import Testing

struct ByteSizeTests {
    static let cases: [(String, Int64)] = [
        ("100", 100), ("64m", 67_108_864), ("64M", 67_108_864), ("1.5g", 1_610_612_736), ("512k", 524_288),
        ("2gb", 2_147_483_648), ("10MiB", 10_485_760), ("1 k", 1024), ("7b", 7), ("1t", 1_099_511_627_776),
    ]

    @Test(arguments: cases)
    func parses(text: String, bytes: Int64) {
        #expect(ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "m", "-1m", "+1", "1e3", "lots", "1x", ".5", "99999999999p"])
    func refuses(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }
}
