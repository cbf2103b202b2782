import Foundation
import VQMPI
import VQNN

/// The processes of one training run: this process alone, or the ranks of an MPI job when a launcher
/// (`mpirun -np N vqvae train …`) started several.
///
/// A plain run never opens the MPI library (`MPILaunch` reads the launcher's environment variables
/// first). In a job, every rank trains on its share of each batch and only the leader, rank 0,
/// prints progress and writes the run folder.
struct ProcessGroup {
    let communicator: any Communicator
    /// The MPI job, when there is one.
    let job: MPICommunicator?
    /// The subcommand, for the line telling how to resume ("train", "audio train").
    var command = "train"

    static let single = ProcessGroup(communicator: SingleProcessCommunicator.shared, job: nil)

    var isLeader: Bool { communicator.rank == 0 }
    var size: Int { communicator.size }
    var rank: Int { communicator.rank }

    /// This process's group, from the environment: MPI is initialised only under a launcher of more
    /// than one process.
    static func join(command: String) throws -> ProcessGroup {
        do {
            guard let job = try MPICommunicator.launched(environment: ProcessInfo.processInfo.environment) else { return .single }
            return ProcessGroup(communicator: job, job: job, command: command)
        } catch let error as CommunicationError {
            throw CommandFailure("cannot join the MPI job: \(error.description)")
        }
    }

    /// "2 processes, Open MPI v4.1.4 (libmpi.so.40)", or nil alone.
    var summary: String? {
        job.map { "\($0.size) processes, \($0.libraryDescription)" }
    }

    /// Runs `body`; an error on a process other than the leader names its rank, so that the lines of
    /// several processes can be told apart.
    func labellingErrors<Result>(_ body: () throws -> Result) throws -> Result {
        do { return try body() } catch where !isLeader {
            throw CommandFailure("rank \(rank) of \(size): \(error)")
        }
    }

    /// On the leader of a job, prepares the line written if the launcher stops the job
    /// (`StopNotice`): the run in `folder` was last saved at `savedStep` (nil: not yet).
    func noteSave(folder: String, savedStep: Int?) {
        guard job != nil, isLeader else { return }
        StopNotice.update(folder: folder, savedStep: savedStep, processes: size, command: command)
    }

    /// Checks that a global batch of `batch` items gives every process at least one.
    func checkShares(batch: Int) throws {
        if batch < size {
            throw CommandFailure("--batch \(batch) cannot be shared by \(size) processes: the global batch needs at least one item per process")
        }
    }

    /// Writes `text` to standard error on the leader only.
    func note(_ text: String) {
        if isLeader { writeError(text) }
    }

    /// Ends MPI after a run every process finished.
    func finish() {
        job?.finalize()
    }
}
