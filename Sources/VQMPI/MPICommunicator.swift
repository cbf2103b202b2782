import VQNN

/// The processes of an MPI job (MPI_COMM_WORLD) as a `Communicator`, over an `MPILibrary` opened at
/// run time.
///
/// Calls are made from the thread that created it (MPI_THREAD_FUNNELED); errors are returned by MPI
/// (MPI_ERRORS_RETURN) and thrown as `CommunicationError`s naming the call. Buffers longer than an
/// MPI count (2³¹ − 1 elements) are sent in pieces.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    public let library: MPILibrary

    /// Opens the library (`MPILaunch.libraryCandidates`), initialises MPI and checks that it sees the
    /// job `launch` announced.
    public init(launch: MPILaunch, environment: [String: String]) throws {
        library = try MPILibrary.open(candidates: MPILaunch.libraryCandidates(for: launch.launcher, environment: environment))
        try library.initialize()
        (rank, size) = try library.rankAndSize()
        guard size == launch.size, rank == launch.rank else {
            throw CommunicationError("\(library.path) sees rank \(rank) of \(size), the launcher announced rank \(launch.rank) of \(launch.size) (\(launch.launcher.rawValue)): is the library the launcher's own? Set VQVAE_MPI_LIBRARY to it")
        }
    }

    /// The group this process belongs to when an MPI launcher started it among several processes;
    /// nil for a plain run, or a job of one process, which never touches MPI.
    public static func launched(environment: [String: String]) throws -> MPICommunicator? {
        guard let launch = MPILaunch.detect(in: environment), launch.size > 1 else { return nil }
        return try MPICommunicator(launch: launch, environment: environment)
    }

    /// The most elements one MPI call takes (its count is a C int).
    static let maximumCount = Int(Int32.max)

    public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReductionOperation) throws {
        try inPieces(values.count) { start, count in
            try library.allReduce(UnsafeMutableRawPointer(values.baseAddress! + start), count: count, .float, operation)
        }
    }

    public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReductionOperation) throws {
        try inPieces(values.count) { start, count in
            try library.allReduce(UnsafeMutableRawPointer(values.baseAddress! + start), count: count, .double, operation)
        }
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {
        precondition((0..<size).contains(root), "MPICommunicator.broadcast: root \(root) of \(size)")
        try inPieces(bytes.count) { start, count in
            try library.broadcast(bytes.baseAddress! + start, count: count, root: Int32(root))
        }
    }

    private func inPieces(_ total: Int, _ body: (Int, Int32) throws -> Void) throws {
        var start = 0
        while start < total {
            let count = min(total - start, MPICommunicator.maximumCount)
            try body(start, Int32(count))
            start += count
        }
    }

    /// MPI_Finalize, once, when MPI is still active: the end of a job whose processes all finished.
    public func finalize() {
        if library.isActive { _ = library.finalize() }
    }

    /// MPI_Abort: ends every process of the job with exit status `code`.
    public func abort(code: Int32) {
        if library.isActive { library.abort(code) }
    }

    /// "Open MPI v4.1.4 (libmpi.so.40)": what was loaded, for a progress line.
    public var libraryDescription: String {
        "\(library.version.isEmpty ? library.family.rawValue : library.version) (\(library.path))"
    }
}
