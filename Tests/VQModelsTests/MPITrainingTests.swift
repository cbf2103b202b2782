import Foundation
import Testing
import VQData
import VQEngine
import VQModels

/// The acceptance on the built `vqvae` under a real MPI launcher, on loopback: `mpirun -np 2
/// vqvae train` (and `prior train`) ends with the weights of one process (relative difference below
/// 1e-5; a short run, before training amplifies the last bits, BENCHMARKS.md), a rank killed
/// mid-run stops the job with one line and leaves the last save intact, and `--resume` continues it
/// with 2 processes (to the uninterrupted run's bytes) or with one. Skipped, with a message, when
/// `mpirun` is not on PATH (CI installs Open MPI: .ci/run).
@Suite(.serialized, .enabled(if: BuiltExecutable.path != nil, "skipped: no vqvae executable beside the test bundle (run `swift build --build-tests` first)"),
       .enabled(if: MPIJob.launcher != nil, "skipped: mpirun is not on PATH; install Open MPI (Debian: openmpi-bin libopenmpi-dev) to run the 2-process test"))
struct MPITrainingTests {
    static let steps = 24

    /// The tiny model on the 16x16 shapes, EMA codebook with k-means++ and dead-code restarts (the
    /// most quantizer state to keep in step), 4 images per global batch, a save every 3 steps.
    static func arguments(data: String) -> [String] {
        ["train", "--data", data, "--preset", "tiny", "--steps", "\(steps)", "--batch", "4", "--seed", "3", "--save-every", "3",
         "--log-every", "1", "--learning-rate", "2e-3", "--quantizer", "ema", "--kmeans-init", "--dead-code-steps", "2", "--json"]
    }

    static func freshFolder(_ name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.path + "/vqvae-mpi-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try ResumeAfterKillTests.writeData(to: folder + "/data")
        return folder
    }

    /// Every weight and buffer of a model file, by sorted name, end to end.
    static func weights(_ path: String) throws -> [Float] {
        try SafeTensors(contentsOf: path).tensors.filter { $0.key != "__metadata__" }.sorted { $0.key < $1.key }.flatMap(\.value.scalars)
    }

    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "models of \(a.count) and \(b.count) values")
        let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        return (difference / b.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
    }

    @Test func twoProcessesEndWithTheWeightsOfOne() throws {
        let executable = try #require(BuiltExecutable.path)
        let folder = try Self.freshFolder("equivalence")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let single = try MPIJob.run(executable, Self.arguments(data: folder + "/data") + ["--out", folder + "/single"], processes: 1)
        try #require(single.status == 0, "\(single.errors)")
        let job = try MPIJob.run(executable, Self.arguments(data: folder + "/data") + ["--out", folder + "/two"], processes: 2)
        try #require(job.status == 0, "\(job.errors)")
        #expect(job.output.contains("\"processes\":2") && single.output.contains("\"processes\":1"), "\(job.output)")
        // Only the leader prints: one line per step, not two.
        #expect(job.errors.components(separatedBy: "step 5/\(Self.steps) ").count == 2, "\(job.errors)")
        let difference = Self.relativeDifference(try Self.weights(folder + "/two/model.safetensors"), try Self.weights(folder + "/single/model.safetensors"))
        print("MPITrainingTests: 2 processes against 1 after \(Self.steps) steps: relative weight difference \(difference)")
        #expect(difference < 1e-5)

        // The prior on the VQ-VAE's codes, the same way: 2 processes against 1 (grids encoded by shares).
        let prior = ["prior", "train", "--model", folder + "/single/model.safetensors", "--data", folder + "/data", "--steps", "6",
                     "--batch", "4", "--channels", "8", "--layers", "2", "--output-channels", "8", "--json"]
        let priorSingle = try MPIJob.run(executable, prior + ["--out", folder + "/prior-single"], processes: 1)
        try #require(priorSingle.status == 0, "\(priorSingle.errors)")
        let priorJob = try MPIJob.run(executable, prior + ["--out", folder + "/prior-two"], processes: 2)
        try #require(priorJob.status == 0, "\(priorJob.errors)")
        #expect(priorJob.output.contains("\"processes\":2"), "\(priorJob.output)")
        let priorDifference = Self.relativeDifference(try Self.weights(folder + "/prior-two/prior.safetensors"),
                                                      try Self.weights(folder + "/prior-single/prior.safetensors"))
        print("MPITrainingTests: prior, 2 processes against 1 after 6 steps: relative weight difference \(priorDifference)")
        #expect(priorDifference < 1e-5)
    }

    @Test func killedRankStopsTheJobWithOneLineAndTheRunResumes() throws {
        let executable = try #require(BuiltExecutable.path)
        let folder = try Self.freshFolder("kill")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = Self.arguments(data: folder + "/data")
        let reference = try MPIJob.run(executable, arguments + ["--out", folder + "/reference"], processes: 2)
        try #require(reference.status == 0, "\(reference.errors)")

        let run = RunFolder(folder + "/killed")
        let killed = try MPIJob.runAndKillRank(1, executable, arguments + ["--out", run.path], afterStep: 10, of: Self.steps)
        #expect(killed.status != 0)
        let lines = killed.errors.split(separator: "\n").filter { !$0.hasPrefix("step ") && !$0.hasPrefix("saved ") && !$0.hasPrefix("training ") }
        #expect(lines.count == 1, "one line about the stop, no more: \(lines)")
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("vqvae: the MPI job stopped: a process of 2 ended or was killed"), "\(line)")
        // The line names the last complete save, which loads, at a step the state agrees with.
        let state = try SafeTensors(contentsOf: run.trainingStatePath)
        let savedStep = try #require(state.metadata["step"].flatMap { Int($0) })
        #expect(savedStep >= 9 && savedStep % 3 == 0, "saved at step \(savedStep)")
        #expect(line.contains("\(run.path) keeps its save of step \(savedStep); continue with `mpirun -np 2 vqvae train --resume \(run.path)`"), "\(line)")
        _ = try VQVAE(checkpoint: SafeTensors(contentsOf: run.modelPath), path: run.modelPath)

        // A single process can resume the 2-process run (copied first) …
        let alone = RunFolder(folder + "/alone")
        try FileManager.default.copyItem(atPath: run.path, toPath: alone.path)
        let single = try MPIJob.run(executable, ["train", "--resume", alone.path], processes: 1)
        try #require(single.status == 0, "\(single.errors)")
        let difference = Self.relativeDifference(try Self.weights(alone.modelPath), try Self.weights(folder + "/reference/model.safetensors"))
        #expect(difference < 1e-5, "one process resuming a 2-process run: relative difference \(difference)")
        // … and 2 processes resuming it end with the uninterrupted job's bytes.
        let resumed = try MPIJob.run(executable, ["train", "--resume", run.path], processes: 2)
        try #require(resumed.status == 0, "\(resumed.errors)")
        #expect(resumed.errors.contains("resuming \(run.path) at step \(savedStep) of \(Self.steps)"), "\(resumed.errors)")
        #expect(try FileIO.read(run.modelPath) == FileIO.read(folder + "/reference/model.safetensors"),
                "the resumed job's model differs from the uninterrupted job's")
    }
}

/// Runs `vqvae` under `mpirun` (Open MPI's: `-q` keeps its own messages out, `--oversubscribe` lets 2
/// processes start on a 1-core machine), one engine thread per process, allowed to run as root.
enum MPIJob {
    /// `mpirun` on PATH, or nil.
    static let launcher: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["VQVAE_THREADS"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return environment
    }

    static func process(_ executable: String, _ arguments: [String], processes: Int) -> Process {
        let process = Process()
        if processes == 1 {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: launcher!)
            process.arguments = ["-q", "--oversubscribe", "-np", "\(processes)", executable] + arguments
        }
        process.environment = environment
        return process
    }

    /// Runs to the end: exit status, standard output and standard error.
    static func run(_ executable: String, _ arguments: [String], processes: Int) throws -> (status: Int32, output: String, errors: String) {
        let process = process(executable, arguments, processes: processes)
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let outputText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, outputText, errorText)
    }

    /// Starts a job, reads the leader's progress until step `step` of `steps`, then SIGKILLs rank
    /// `rank` (found by its OMPI_COMM_WORLD_RANK among the processes running this job's run folder)
    /// and waits for the job to end: its exit status and standard error.
    static func runAndKillRank(_ rank: Int, _ executable: String, _ arguments: [String], afterStep step: Int, of steps: Int) throws
        -> (status: Int32, errors: String) {
        let process = process(executable, arguments, processes: 2)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        var text = ""
        while !text.contains("step \(step)/\(steps) ") {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let marker = arguments.last { $0.hasPrefix("/") } ?? ""
        if let victim = processIdentifier(rank: rank, argument: marker) { kill(victim, SIGKILL) }
        text += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// The process whose command line holds `argument` and whose environment says it is rank `rank`.
    static func processIdentifier(rank: Int, argument: String) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let commandLine = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains(argument) && !arguments.contains("-np") && variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") {
                return pid
            }
        }
        return nil
    }
}
