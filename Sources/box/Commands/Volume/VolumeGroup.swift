import ArgumentParser
import BoxCore
import BoxRuntime
import BoxVolume

/// `box volume …`: named and anonymous volumes (see docs/volumes.md).
struct VolumeGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes",
        subcommands: [VolumeCreate.self, VolumeInspectCommand.self, VolumeLs.self, VolumePrune.self, VolumeRm.self, VolumeExists.self])
}

extension Context {
    /// The volume store (`ROOT/volumes`).
    func volumes() throws(BoxError) -> VolumeStore { try VolumeStore(paths: paths) }

    /// For each volume some container uses, those containers' IDs.
    func volumeUsers() throws(BoxError) -> [String: [String]] { try Containers.volumeUsers(try containers()) }
}

/// `KEY=VALUE` flags (`--label`, `--opt`) as a map; a bare `KEY` has an empty value.
func keyValues(_ list: [String]) -> [String: String] {
    var out: [String: String] = [:]
    for kv in list {
        let p = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        out[p[0]] = p.count > 1 ? p[1] : ""
    }
    return out
}
