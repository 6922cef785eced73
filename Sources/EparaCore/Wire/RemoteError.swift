/// Why a question to another server got no usable answer: the server could not be reached
/// (exit 74), or it answered something that is not what its API says (exit 65). What
/// `plan --prometheus` (a Prometheus server) and `epara profile` (a model server) throw.
public struct RemoteError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case unreachable
        case badAnswer
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var exitCode: Int32 { kind == .unreachable ? 74 : 65 }
    public var description: String { message }
}
