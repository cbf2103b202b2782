/// The group of one process: every collective operation leaves its buffer as it is.
public final class SingleProcessCommunicator: Communicator {
    /// The one instance a process needs.
    public static let shared = SingleProcessCommunicator()

    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReductionOperation) throws {}
    public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReductionOperation) throws {}

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {
        precondition(root == 0, "SingleProcessCommunicator: root \(root) is not the only process, 0")
    }
}
