/// A shape that an operation cannot accept, with the operation's name and the shapes involved.
///
/// Operations check their inputs with a throwing validator (so the message can be tested) and stop
/// with `preconditionFailure(error.description)` when it throws: a wrong shape is a programming error.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let shapes: [[Int]]
    public let reason: String

    public init(_ operation: String, _ shapes: [[Int]], _ reason: String) {
        self.operation = operation
        self.shapes = shapes
        self.reason = reason
    }

    public var description: String {
        let listed = shapes.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: " and ")
        return "\(operation): \(reason) (shapes \(listed))"
    }
}

/// Runs a shape validator and stops with its message if it throws.
@inline(__always)
func checkShapes<T>(_ validate: () throws -> T) -> T {
    do { return try validate() } catch { preconditionFailure("\(error)") }
}
