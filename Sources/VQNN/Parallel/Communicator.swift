import VQEngine

/// How an all-reduce combines the processes' values, element by element.
public enum ReductionOperation: String, Sendable {
    case sum, minimum, maximum
}

/// A collective operation failed (a process of the group stopped, the network broke, …): what
/// `Communicator` methods throw.
public struct CommunicationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The processes that train one model together (data parallelism), and the collective operations
/// they call in step: the seam between the training step and MPI.
///
/// Every process of the group makes the same calls in the same order with buffers of the same
/// lengths; each call returns on every process with the same result. Process `rank` (0..<`size`) is
/// one of `size`; rank 0 is the one that prints and writes files. A single process is
/// `SingleProcessCommunicator`, whose calls change nothing, so the step code needs no branch for it.
public protocol Communicator: AnyObject, Sendable {
    /// This process, in 0..<size.
    var rank: Int { get }
    /// The processes in the group.
    var size: Int { get }

    /// Replaces `values` by their element-wise combination over every process (MPI_Allreduce). Every
    /// process is expected to get the same bits (the MPI standard advises it and Open MPI and MPICH
    /// do; `ModelTrainer.processesAgree` checks what training depends on).
    func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReductionOperation) throws

    /// Replaces `values` by their element-wise combination over every process (MPI_Allreduce).
    func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReductionOperation) throws

    /// Replaces `bytes` on every process by those of process `root` (MPI_Bcast).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws
}

extension Communicator {
    /// Whether this is the process that prints and writes (rank 0).
    public var isLeader: Bool { rank == 0 }

    /// `allReduce` on an array, in place.
    public func allReduce(_ values: inout [Float], _ operation: ReductionOperation) throws {
        guard size > 1, !values.isEmpty else { return }
        try values.withUnsafeMutableBufferPointer { buffer in try allReduce(buffer, operation) }
    }

    /// `allReduce` on an array, in place.
    public func allReduce(_ values: inout [Double], _ operation: ReductionOperation) throws {
        guard size > 1, !values.isEmpty else { return }
        try values.withUnsafeMutableBufferPointer { buffer in try allReduce(buffer, operation) }
    }

    /// Makes `tensor`'s values on every process those of process `root`; the shapes must already agree.
    public func broadcast(_ tensor: inout Tensor, from root: Int) throws {
        guard size > 1, tensor.count > 0 else { return }
        try tensor.withUnsafeMutableBufferPointer { values in
            try broadcast(UnsafeMutableRawBufferPointer(values), from: root)
        }
    }

    /// Makes `words` on every process those of process `root`; the counts must already agree.
    public func broadcast(_ words: inout [UInt64], from root: Int) throws {
        guard size > 1, !words.isEmpty else { return }
        try words.withUnsafeMutableBytes { bytes in try broadcast(bytes, from: root) }
    }
}
