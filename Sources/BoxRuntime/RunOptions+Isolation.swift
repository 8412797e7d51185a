/// The isolation flags of `run`/`create`, as given.
public struct IsolationOptions: Sendable, Codable, Equatable {
    public init() {}
}
