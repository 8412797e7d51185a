#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// The leak check: many cycles of `run -d`, `exec`, `stop`, `rm` leave no zombie, monitor, mount or cgroup.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct CycleTests {
    @Test func twoHundredCyclesLeaveNothingBehind() throws {
        let h = Harness()
        defer { h.cleanup() }
        let box = "'\(TestSupport.boxBinary)' --root '\(h.root)'"
        let script = """
        set -e
        for i in $(seq 200); do
          id=$(\(box) run -d --init box-demo sleep 60)
          echo $id >> '\(h.root)/ids'
          [ "$(\(box) exec $id echo hi)" = hi ]
          \(box) stop -t 5 $id >/dev/null
          \(box) rm $id >/dev/null
        done
        echo done
        """
        let r = TestSupport.run(["/bin/sh", "-c", script])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "done\n")
        #expect(h.box("ps", "-aq").stdout == "")
        #expect(Host.processes(matching: "container-monitor").filter { $0.contains(h.root) }.isEmpty)
        #expect(Host.mounts(containing: h.root).isEmpty)
        let cgroups = TestSupport.run(["/usr/bin/find", "/sys/fs/cgroup", "-maxdepth", "3", "-path", "*/box/*", "-type", "d"]).stdout
        #expect(try Files.list(h.root + "/containers").filter { $0.count == 64 }.isEmpty)
        let ids = String(decoding: try Files.read(h.root + "/ids"), as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(ids.count == 200)
        // none of the cycles' cgroups is left in any hierarchy (other tests' containers may run meanwhile)
        #expect(!cgroups.split(separator: "\n").contains { line in ids.contains { line.hasSuffix($0) } })
        // box's children were all reaped: no zombie's parent is a box process of this root
        let parents = TestSupport.run(["/bin/sh", "-c", "ps -eo stat=,ppid= | awk '$1 ~ /^Z/ {print $2}'"]).stdout
        for ppid in parents.split(separator: "\n") {
            let cmdline = String(decoding: (try? Files.read("/proc/\(ppid)/cmdline")) ?? [], as: UTF8.self)
            #expect(!cmdline.contains(h.root), "a zombie under \(cmdline)")
        }
    }
}
