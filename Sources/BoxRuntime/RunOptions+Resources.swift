/// The resources flags of `run`/`create`, as given.
public struct ResourceOptions: Sendable, Codable, Equatable {
    public init() {}
}
