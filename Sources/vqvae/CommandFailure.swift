import VQData
import VQModels
import VQNN

/// A failure reported as one line on standard error with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, turning the errors a command expects (bad files, failed writes, a loss that is no
/// longer finite, a collective call of an MPI job that failed) into a `CommandFailure`: one line on standard error naming the file or the step
/// and the problem, exit status 1.
func failingWithOneLine(_ body: () throws -> Void) throws {
    do { try body() } catch let error as DataError {
        throw CommandFailure(error.description)
    } catch let error as NonFiniteLossError {
        throw CommandFailure(error.description)
    } catch let error as CommunicationError {
        throw CommandFailure("the MPI job failed: \(error.description)")
    }
}
