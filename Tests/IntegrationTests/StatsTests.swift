#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// `box stats`: Docker's table and JSON, Prometheus' text format, stopped containers, and the stream.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct StatsTests {
    let h = Harness.shared

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    @Test func oneSampleInEachFormat() throws {
        let busy = unique("st"), stopped = unique("st")
        defer { h.box("rm", "-f", busy, stopped) }
        let id = h.box("run", "-d", "--name", busy, "-m", "64m", "box-demo", "sh", "-c", "while :; do :; done").stdout.trimmingSuffix("\n")
        #expect(h.box("create", "--name", stopped, "box-demo").status == 0)
        let table = h.box("stats", "--no-stream", busy, stopped)
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first == "CONTAINER ID   NAME" + String(repeating: " ", count: busy.count - 1)
                + "CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS")
        let row = lines[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        // ID, name, CPU %, usage / limit, MEM %, net (none: 0B / 0B), block, pids
        #expect(row.count == 14 && row[0] == String(id.prefix(12)) && row[1] == busy)
        #expect(row[2].hasSuffix("%") && (Double(row[2].dropLast()) ?? 0) > 5)
        #expect(row[3].hasSuffix("B") && row[4] == "/" && row[5] == "64MiB")
        #expect(Array(row[7...9]) == ["0B", "/", "0B"] && row[13] == "1")
        #expect(lines[2].split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).joined(separator: " ")
                == "0.00% 0B / 0B 0.00% 0B / 0B 0B / 0B 0")

        let json = h.box("stats", "--no-stream", "--no-trunc", "--format", "json", busy)
        let obj = try #require(try JSONSerializationLite.object(json.stdout))
        #expect(obj.keys.sorted() == ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"])
        #expect(obj["ID"] == id && obj["Container"] == busy && obj["NetIO"] == "0B / 0B" && obj["PIDs"] == "1")

        let prom = h.box("stats", "--no-stream", "--format", "prometheus", busy).stdout
        #expect(prom.contains("# TYPE box_container_cpu_usage_seconds_total counter\n"))
        #expect(prom.contains("box_container_memory_limit_bytes{id=\"\(id)\",name=\"\(busy)\"} 67108864\n"))
        #expect(prom.contains("box_container_pids{id=\"\(id)\",name=\"\(busy)\"} 1\n"))
        // every sample line is NAME{labels} NUMBER
        for line in prom.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(Double(line.split(separator: " ").last ?? "") != nil)
        }
    }

    /// Without --no-stream and without a terminal: one block per second, ending when the containers exit.
    @Test func streamEndsWhenTheContainersExit() {
        let name = unique("sts")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--name", name, "box-demo", "sleep", "2").status == 0)
        let r = h.box("stats", "--format", "{{.Name}}", name)
        #expect(r.status == 0)
        let blocks = r.stdout.split(separator: "\n")
        #expect(blocks.count >= 2 && blocks.count <= 5 && blocks.allSatisfy { $0 == name })
        #expect(h.box("stats", "--no-stream", "nosuch").status == 125)
    }
}

/// A flat JSON object of strings, read without Foundation.
enum JSONSerializationLite {
    static func object(_ text: String) throws -> [String: String]? {
        try JSON.decode([String: String].self, from: Array(text.utf8), what: "stats json")
    }
}
