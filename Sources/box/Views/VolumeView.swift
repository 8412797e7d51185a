import BoxVolume

/// A volume as `box volume ls` shows it: Docker's fields for `--format`.
struct VolumeRow: Encodable {
    var Name: String
    var Driver: String
    var Scope: String
    var Mountpoint: String
    var Labels: String
    var Links = "N/A"
    var Size = "N/A"

    init(_ v: Volume) {
        Name = v.Name
        Driver = v.Driver
        Scope = v.Scope
        Mountpoint = v.Mountpoint
        Labels = (v.Labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static let table = "table {{.Driver}}\t{{.Name}}"
    static let headers = ["Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT",
                          "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE"]
}

/// A volume as `box volume inspect` shows it: Docker's JSON, keys in its order.
struct VolumeInspect: Encodable {
    var CreatedAt: String
    var Driver: String
    var Labels: [String: String]?
    var Mountpoint: String
    var Name: String
    var Options: [String: String]?
    var Scope: String

    init(_ v: Volume) {
        CreatedAt = v.CreatedAt
        Driver = v.Driver
        Labels = v.Labels
        Mountpoint = v.Mountpoint
        Name = v.Name
        Options = v.Options
        Scope = v.Scope
    }

    enum CodingKeys: String, CodingKey { case CreatedAt, Driver, Labels, Mountpoint, Name, Options, Scope }

    /// Docker writes `null` for a volume without labels or options, so the keys are always there.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(CreatedAt, forKey: .CreatedAt)
        try c.encode(Driver, forKey: .Driver)
        try c.encode(Labels, forKey: .Labels)
        try c.encode(Mountpoint, forKey: .Mountpoint)
        try c.encode(Name, forKey: .Name)
        try c.encode(Options, forKey: .Options)
        try c.encode(Scope, forKey: .Scope)
    }
}
