#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQNN

/// An MPI library opened at run time (`dlopen`), so that the package builds, and runs alone, on a
/// machine without MPI: no headers at build time, no link dependency.
///
/// The MPI standard fixes the C functions but not the ABI of its handles. Two families cover the
/// common implementations:
/// - Open MPI: handles are pointers to global objects of the library, `MPI_COMM_WORLD` is
///   `&ompi_mpi_comm_world`, `MPI_FLOAT` `&ompi_mpi_float`, `MPI_SUM` `&ompi_mpi_op_sum`, …, found with
///   `dlsym`; `MPI_IN_PLACE` is `(void *) 1`.
/// - MPICH and its ABI relatives (Intel MPI, MVAPICH, Cray MPICH): handles are `int` constants of that
///   ABI (`MPI_COMM_WORLD` 0x44000000, `MPI_FLOAT` 0x4c00040a, `MPI_DOUBLE` 0x4c00080b, `MPI_BYTE`
///   0x4c00010d, `MPI_MAX`/`MIN`/`SUM` 0x58000001/2/3, `MPI_ERRORS_RETURN` 0x54000001); `MPI_IN_PLACE`
///   is `(void *) -1`.
/// The library is Open MPI when it defines the symbol `ompi_mpi_comm_world`. Only the handful of
/// calls data-parallel training needs are bound.
public final class MPILibrary: @unchecked Sendable {
    public enum Family: String, Sendable {
        case openMPI = "Open MPI"
        case mpich = "MPICH ABI"
    }

    /// The datatypes used.
    enum Datatype { case float, double, byte }

    /// The file that was opened.
    public let path: String
    public let family: Family
    /// What `MPI_Get_library_version` says, first line.
    public private(set) var version = ""

    private let handle: UnsafeMutableRawPointer
    private let calls: Calls

    typealias InitThread = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
    typealias Flag = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias ErrorString = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias LibraryVersion = @convention(c) (UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Int32

    /// Functions whose handles are pointers (Open MPI), passed as pointer-sized integers.
    struct PointerCalls {
        typealias CommunicatorQuery = @convention(c) (Int, UnsafeMutablePointer<Int32>?) -> Int32
        typealias AllReduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Int, Int, Int) -> Int32
        typealias Broadcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Int, Int32, Int) -> Int32
        typealias SetErrorHandler = @convention(c) (Int, Int) -> Int32
        typealias Abort = @convention(c) (Int, Int32) -> Int32
        let rank: CommunicatorQuery, size: CommunicatorQuery, allReduce: AllReduce, broadcast: Broadcast
        let setErrorHandler: SetErrorHandler, abort: Abort
        /// MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_BYTE, MPI_SUM, MPI_MIN, MPI_MAX, MPI_ERRORS_RETURN.
        let world: Int, float: Int, double: Int, byte: Int, sum: Int, minimum: Int, maximum: Int, errorsReturn: Int
    }

    /// Functions whose handles are `int` constants (MPICH ABI).
    struct IntegerCalls {
        typealias CommunicatorQuery = @convention(c) (Int32, UnsafeMutablePointer<Int32>?) -> Int32
        typealias AllReduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Int32, Int32, Int32) -> Int32
        typealias Broadcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, Int32, Int32) -> Int32
        typealias SetErrorHandler = @convention(c) (Int32, Int32) -> Int32
        typealias Abort = @convention(c) (Int32, Int32) -> Int32
        let rank: CommunicatorQuery, size: CommunicatorQuery, allReduce: AllReduce, broadcast: Broadcast
        let setErrorHandler: SetErrorHandler, abort: Abort
        static let world: Int32 = 0x4400_0000, float: Int32 = 0x4c00_040a, double: Int32 = 0x4c00_080b, byte: Int32 = 0x4c00_010d
        static let maximum: Int32 = 0x5800_0001, minimum: Int32 = 0x5800_0002, sum: Int32 = 0x5800_0003
        static let errorsReturn: Int32 = 0x5400_0001
    }

    enum Calls {
        case pointers(PointerCalls)
        case integers(IntegerCalls)
    }

    let initThread: InitThread, initialized: Flag, finalized: Flag, finalize: Finalize, errorString: ErrorString

    /// Opens the first of `candidates` that loads and binds every function needed; throws naming
    /// each candidate and why it failed.
    public static func open(candidates: [String]) throws -> MPILibrary {
        var failures: [String] = []
        for candidate in candidates {
            do { return try MPILibrary(path: candidate) } catch let error as CommunicationError {
                failures.append(error.description)
            }
        }
        throw CommunicationError("no MPI library could be opened (\(failures.joined(separator: "; "))); set VQVAE_MPI_LIBRARY to its path")
    }

    /// Opens `path` (a file name is searched like any shared library) and binds the functions.
    init(path: String) throws {
        // RTLD_GLOBAL: Open MPI loads its own components, which look up the library's symbols.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
            throw CommunicationError("\(path): \(dlerror().map { String(cString: $0) } ?? "not found")")
        }
        self.path = path
        self.handle = handle
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, name) else { throw CommunicationError("\(path) has no \(name)") }
            return address
        }
        func function<Function>(_ name: String, as type: Function.Type) throws -> Function {
            unsafeBitCast(try symbol(name), to: type)
        }
        initThread = try function("MPI_Init_thread", as: InitThread.self)
        initialized = try function("MPI_Initialized", as: Flag.self)
        finalized = try function("MPI_Finalized", as: Flag.self)
        finalize = try function("MPI_Finalize", as: Finalize.self)
        errorString = try function("MPI_Error_string", as: ErrorString.self)
        if dlsym(handle, "ompi_mpi_comm_world") != nil {
            family = .openMPI
            func address(_ name: String) throws -> Int { Int(bitPattern: try symbol(name)) }
            calls = .pointers(PointerCalls(
                rank: try function("MPI_Comm_rank", as: PointerCalls.CommunicatorQuery.self),
                size: try function("MPI_Comm_size", as: PointerCalls.CommunicatorQuery.self),
                allReduce: try function("MPI_Allreduce", as: PointerCalls.AllReduce.self),
                broadcast: try function("MPI_Bcast", as: PointerCalls.Broadcast.self),
                setErrorHandler: try function("MPI_Comm_set_errhandler", as: PointerCalls.SetErrorHandler.self),
                abort: try function("MPI_Abort", as: PointerCalls.Abort.self),
                world: try address("ompi_mpi_comm_world"), float: try address("ompi_mpi_float"),
                double: try address("ompi_mpi_double"), byte: try address("ompi_mpi_byte"), sum: try address("ompi_mpi_op_sum"),
                minimum: try address("ompi_mpi_op_min"), maximum: try address("ompi_mpi_op_max"),
                errorsReturn: try address("ompi_mpi_errors_return")))
        } else {
            family = .mpich
            calls = .integers(IntegerCalls(
                rank: try function("MPI_Comm_rank", as: IntegerCalls.CommunicatorQuery.self),
                size: try function("MPI_Comm_size", as: IntegerCalls.CommunicatorQuery.self),
                allReduce: try function("MPI_Allreduce", as: IntegerCalls.AllReduce.self),
                broadcast: try function("MPI_Bcast", as: IntegerCalls.Broadcast.self),
                setErrorHandler: try function("MPI_Comm_set_errhandler", as: IntegerCalls.SetErrorHandler.self),
                abort: try function("MPI_Abort", as: IntegerCalls.Abort.self)))
        }
        if let query = dlsym(handle, "MPI_Get_library_version") {
            var text = [CChar](repeating: 0, count: 8192)
            var length: Int32 = 0
            if unsafeBitCast(query, to: LibraryVersion.self)(&text, &length) == 0 {
                let firstLine = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    .split(separator: "\n").first ?? ""
                // "Open MPI v4.1.4, package: …" or "MPICH Version:<tab>4.0.2": the name and version, before the first comma.
                version = firstLine.prefix { $0 != "," }.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            }
        }
    }

    /// MPI's description of error `code`.
    func describe(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 1024)
        var length: Int32 = 0
        guard errorString(code, &text, &length) == 0 else { return "MPI error \(code)" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Throws a `CommunicationError` naming `call` when `code` is not MPI_SUCCESS (0).
    func check(_ code: Int32, _ call: String) throws {
        guard code != 0 else { return }
        throw CommunicationError("\(call) failed: \(describe(code))")
    }

    /// MPI_Init_thread with MPI_THREAD_FUNNELED (1: only the thread that initialised calls MPI; the
    /// engine's worker threads never do), then MPI_ERRORS_RETURN on MPI_COMM_WORLD, so that a failed
    /// call returns an error to report rather than ending the process inside the library.
    ///
    /// Open MPI's shared-memory transport copies large messages straight from the other process's
    /// memory (CMA); when that process has just died, it prints a line of its own ("Read -1,
    /// expected …") before the job is stopped. Unless the user chose a mechanism
    /// (`OMPI_MCA_btl_vader_single_copy_mechanism`), it is set to `none` (copies through the shared
    /// segment), which measured no slower for a step's gradients (BENCHMARKS.md) and keeps the stop
    /// of a job to vqvae's one line.
    func initialize() throws {
        if family == .openMPI { setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0) }
        var provided: Int32 = 0
        try check(initThread(nil, nil, 1, &provided), "MPI_Init_thread")
        switch calls {
        case .pointers(let c): try check(c.setErrorHandler(c.world, c.errorsReturn), "MPI_Comm_set_errhandler")
        case .integers(let c): try check(c.setErrorHandler(IntegerCalls.world, IntegerCalls.errorsReturn), "MPI_Comm_set_errhandler")
        }
    }

    /// (rank, size) in MPI_COMM_WORLD.
    func rankAndSize() throws -> (rank: Int, size: Int) {
        var rank: Int32 = 0, size: Int32 = 0
        switch calls {
        case .pointers(let c):
            try check(c.rank(c.world, &rank), "MPI_Comm_rank")
            try check(c.size(c.world, &size), "MPI_Comm_size")
        case .integers(let c):
            try check(c.rank(IntegerCalls.world, &rank), "MPI_Comm_rank")
            try check(c.size(IntegerCalls.world, &size), "MPI_Comm_size")
        }
        return (Int(rank), Int(size))
    }

    /// MPI_Allreduce in place over MPI_COMM_WORLD of `count` elements of `datatype` at `buffer`.
    func allReduce(_ buffer: UnsafeMutableRawPointer, count: Int32, _ datatype: Datatype, _ operation: ReductionOperation) throws {
        switch calls {
        case .pointers(let c):
            let type = datatype == .float ? c.float : datatype == .double ? c.double : c.byte
            let op = operation == .sum ? c.sum : operation == .minimum ? c.minimum : c.maximum
            try check(c.allReduce(UnsafeRawPointer(bitPattern: 1), buffer, count, type, op, c.world), "MPI_Allreduce")
        case .integers(let c):
            let type = datatype == .float ? IntegerCalls.float : datatype == .double ? IntegerCalls.double : IntegerCalls.byte
            let op = operation == .sum ? IntegerCalls.sum : operation == .minimum ? IntegerCalls.minimum : IntegerCalls.maximum
            try check(c.allReduce(UnsafeRawPointer(bitPattern: -1), buffer, count, type, op, IntegerCalls.world), "MPI_Allreduce")
        }
    }

    /// MPI_Bcast of `count` bytes at `buffer` from `root` over MPI_COMM_WORLD.
    func broadcast(_ buffer: UnsafeMutableRawPointer, count: Int32, root: Int32) throws {
        switch calls {
        case .pointers(let c): try check(c.broadcast(buffer, count, c.byte, root, c.world), "MPI_Bcast")
        case .integers(let c): try check(c.broadcast(buffer, count, IntegerCalls.byte, root, IntegerCalls.world), "MPI_Bcast")
        }
    }

    /// MPI_Abort on MPI_COMM_WORLD: ends every process of the job with `code`.
    func abort(_ code: Int32) {
        switch calls {
        case .pointers(let c): _ = c.abort(c.world, code)
        case .integers(let c): _ = c.abort(IntegerCalls.world, code)
        }
    }

    /// Whether MPI_Init has run and MPI_Finalize has not.
    var isActive: Bool {
        var started: Int32 = 0, ended: Int32 = 0
        _ = initialized(&started)
        _ = finalized(&ended)
        return started != 0 && ended == 0
    }
}
