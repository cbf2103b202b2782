import Testing
import VQMPI
import VQNN

/// Finding the launcher from the environment, and the libraries tried, without MPI.
@Suite struct MPILaunchTests {
    /// Open MPI's mpirun, MPICH's Hydra (PMI) and MVAPICH each announce size and rank; a plain
    /// environment, unreadable numbers or a rank outside the size announce nothing.
    @Test func launchersFromTheirVariables() throws {
        #expect(MPILaunch.detect(in: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"])
                == MPILaunch(launcher: .openMPI, size: 2, rank: 1))
        #expect(MPILaunch.detect(in: ["PMI_SIZE": "4", "PMI_RANK": "0"]) == MPILaunch(launcher: .pmi, size: 4, rank: 0))
        #expect(MPILaunch.detect(in: ["MV2_COMM_WORLD_SIZE": "3", "MV2_COMM_WORLD_RANK": "2"])
                == MPILaunch(launcher: .mvapich, size: 3, rank: 2))
        #expect(MPILaunch.detect(in: ["PATH": "/usr/bin"]) == nil)
        #expect(MPILaunch.detect(in: ["OMPI_COMM_WORLD_SIZE": "two", "OMPI_COMM_WORLD_RANK": "1"]) == nil)
        #expect(MPILaunch.detect(in: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "2"]) == nil)
        // A job of one process is a launch, but not one that needs MPI: `launched` returns nil for it.
        #expect(MPILaunch.detect(in: ["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"])?.size == 1)
        #expect(try MPICommunicator.launched(environment: ["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"]) == nil)
        #expect(try MPICommunicator.launched(environment: [:]) == nil)
    }

    /// The launcher's own family first, and `VQVAE_MPI_LIBRARY` before everything.
    @Test func libraryCandidatesFollowTheLauncher() {
        let openMPI = MPILaunch.libraryCandidates(for: .openMPI, environment: [:])
        #expect(openMPI.prefix(2) == ["libmpi.so.40", "libmpi.so"])
        #expect(openMPI.contains("libmpich.so.12"))
        let pmi = MPILaunch.libraryCandidates(for: .pmi, environment: [:])
        #expect(pmi.prefix(2) == ["libmpich.so.12", "libmpi.so.12"])
        let chosen = MPILaunch.libraryCandidates(for: .pmi, environment: ["VQVAE_MPI_LIBRARY": "/opt/mpi/lib/libmpi.so"])
        #expect(chosen.first == "/opt/mpi/lib/libmpi.so" && chosen.count == pmi.count + 1)
    }

    /// A library that does not exist, or one that is not MPI, is refused with a message naming each.
    @Test func missingOrForeignLibrariesAreNamed() {
        do {
            _ = try MPILibrary.open(candidates: ["/nonexistent/libmpi.so.40", "libz.so.1"])
            Issue.record("opened a library that is not MPI")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("no MPI library could be opened (/nonexistent/libmpi.so.40: "), "\(text)")
            #expect(text.contains("libz.so.1 has no MPI_Init_thread"), "\(text)")
            #expect(text.hasSuffix("; set VQVAE_MPI_LIBRARY to its path"), "\(text)")
        }
    }
}
