#if canImport(Glibc)
import Glibc
import Synchronization

/// The one line the leader of an MPI job writes when the launcher stops it.
///
/// When a process of an MPI job dies, the launcher (Open MPI's `mpirun`) ends the others with
/// SIGTERM. The leader catches it and writes one line saying the job stopped, where the last
/// complete save is and how to continue; the run folder needs no cleaning, since every save is a
/// temporary file renamed into place. The line is prepared in advance (`update`) because a signal
/// handler may only call async-signal-safe functions: it writes the prepared bytes and exits.
enum StopNotice {
    /// The prepared line, NUL-terminated; replaced at every save, never freed (a handler may be
    /// reading the previous one).
    private static let message = Atomic<Int>(0)   // the address of the line (Atomic needs a Sendable value)

    /// Prepares the line for a run in `folder` whose last complete save is at `savedStep` (nil:
    /// none yet), of a job of `processes`, and installs the handler (once).
    static func update(folder: String, savedStep: Int?, processes: Int, command: String) {
        let saved = savedStep.map { "\(folder) keeps its save of step \($0); continue with `mpirun -np \(processes) vqvae \(command) --resume \(folder)`" }
            ?? "nothing was saved yet"
        let text = "vqvae: the MPI job stopped: a process of \(processes) ended or was killed (see the launcher's message); \(saved)\n"
        let bytes = Array(text.utf8CString)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        buffer.initialize(from: bytes, count: bytes.count)
        if message.exchange(Int(bitPattern: buffer), ordering: .sequentiallyConsistent) == 0 {
            signal(SIGTERM, { _ in
                if let line = UnsafeMutablePointer<CChar>(bitPattern: StopNotice.message.load(ordering: .sequentiallyConsistent)) {
                    _ = write(STDERR_FILENO, line, strlen(line))
                }
                _exit(143)
            })
        }
    }
}
#else
/// On Apple platforms `Atomic` needs macOS 15 (the package supports 13): no line of vqvae's own
/// there, the launcher's message stands.
enum StopNotice {
    static func update(folder: String, savedStep: Int?, processes: Int, command: String) {}
}
#endif
