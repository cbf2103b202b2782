/// What the environment says about the MPI launcher that started this process, read before MPI is
/// touched: a plain run (no launcher variables, or a job of one process) never opens the MPI library.
///
/// Launchers announce the job in the environment of every process they start: Open MPI's `mpirun`
/// sets `OMPI_COMM_WORLD_SIZE` and `OMPI_COMM_WORLD_RANK`; MPICH's Hydra (`mpiexec`), Intel MPI and
/// other PMI launchers set `PMI_SIZE` and `PMI_RANK`; MVAPICH sets `MV2_COMM_WORLD_SIZE` and
/// `MV2_COMM_WORLD_RANK`. MPI itself then confirms the rank and size.
public struct MPILaunch: Equatable, Sendable {
    /// Which MPI family started the process, which decides which library is tried first.
    public enum Launcher: String, Sendable {
        case openMPI = "Open MPI"
        case pmi = "PMI (MPICH, Intel MPI)"
        case mvapich = "MVAPICH"
    }

    public var launcher: Launcher
    /// Processes in the job, as the launcher announced them.
    public var size: Int
    /// This process's rank, as the launcher announced it.
    public var rank: Int

    public init(launcher: Launcher, size: Int, rank: Int) {
        self.launcher = launcher
        self.size = size
        self.rank = rank
    }

    /// The launch `environment` describes, or nil when it names no launcher (or unreadable figures).
    public static func detect(in environment: [String: String]) -> MPILaunch? {
        let variables: [(Launcher, String, String)] = [
            (.openMPI, "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
            (.pmi, "PMI_SIZE", "PMI_RANK"),
            (.mvapich, "MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK"),
        ]
        for (launcher, sizeName, rankName) in variables {
            guard let size = environment[sizeName].flatMap({ Int($0) }), let rank = environment[rankName].flatMap({ Int($0) }),
                  size >= 1, (0..<size).contains(rank) else { continue }
            return MPILaunch(launcher: launcher, size: size, rank: rank)
        }
        return nil
    }

    /// The shared libraries to try, in order: `VQVAE_MPI_LIBRARY` when set, then the launcher's own
    /// family first (so that a machine with both Open MPI and MPICH loads the one that started us).
    public static func libraryCandidates(for launcher: Launcher?, environment: [String: String]) -> [String] {
        let openMPI = ["libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib"]
        let mpich = ["libmpich.so.12", "libmpi.so.12", "libmpich.so", "libmpich.12.dylib", "libmpich.dylib"]
        let ordered = launcher == .openMPI || launcher == nil ? openMPI + mpich : mpich + openMPI
        return (environment["VQVAE_MPI_LIBRARY"].map { [$0] } ?? []) + ordered
    }
}
