/// The security flags of `run`/`create`, as given.
public struct SecurityOptions: Sendable, Codable, Equatable {
    public init() {}
}
