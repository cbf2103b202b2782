import Foundation
import Testing
import VQData
import VQEngine
import VQModels

/// The issue's acceptance, on the built `vqvae` executable: SIGKILL at a random (seeded) moment of a
/// training run, check that what was saved loads, `--resume`, and compare the final model file with an
/// uninterrupted run's, byte for byte. Skipped, with a message, when the executable is not built.
@Suite(.serialized, .enabled(if: BuiltExecutable.path != nil,
                             "skipped: no vqvae executable beside the test bundle (run `swift build --build-tests` first)"))
struct ResumeAfterKillTests {
    static var executable: String? { BuiltExecutable.path }

    static let steps = 24

    /// An empty folder for one test, `name` and the process id in its name, with the small data set in
    /// `data/` (`writeData`).
    static func freshFolder(_ name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.path + "/vqvae-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try writeData(to: folder + "/data")
        return folder
    }

    /// A small MNIST-layout folder of 16x16 shapes (40 train, 8 test images).
    static func writeData(to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (prefix, count, seed) in [("train", 40, UInt64(1)), ("t10k", 8, UInt64(2))] {
            let dataset = ProceduralShapes.dataset(count: count, size: 16, seed: seed)
            var bytes: [UInt8] = [0, 0, 8, 3]
            for size in [count, 16, 16] { bytes += withUnsafeBytes(of: UInt32(size).bigEndian, Array.init) }
            try FileIO.writeAtomically(bytes + dataset.pixels, to: folder + "/\(prefix)-images-idx3-ubyte")
        }
    }

    /// The training options both runs use; `--log-every 1` prints every step, which is how the test
    /// picks its moment to kill. `quantizer` adds the quantizer's options (default: vq with k-means++
    /// and dead-code restarts, the most state a vq has).
    static func arguments(data: String, quantizer: [String] = quantizers[0]) -> [String] {
        ["train", "--data", data, "--preset", "tiny", "--steps", "\(steps)", "--batch", "4", "--seed", "3",
         "--save-every", "3", "--log-every", "1", "--learning-rate", "2e-3"] + quantizer
    }

    /// Every kind of quantizer, each with the state it can have: k-means++ and dead-code counters (vq,
    /// ema, and each rvq stage), EMA sums (ema), quantizer dropout drawing from the generator (rvq).
    static let quantizers: [[String]] = [
        ["--kmeans-init", "--dead-code-steps", "2"],
        ["--quantizer", "ema", "--kmeans-init", "--dead-code-steps", "2"],
        ["--quantizer", "rvq", "--depth", "3", "--quantizer-dropout", "--kmeans-init", "--dead-code-steps", "2"],
        ["--quantizer", "fsq", "--levels", "5,4,3"],
    ]

    /// Runs to the end; returns the exit status and standard error.
    static func run(_ executable: String, _ arguments: [String], in folder: String? = nil) throws -> (Int32, String) {
        try BuiltExecutable.run(arguments, executable: executable, in: folder)
    }

    /// Starts a run, reads its progress lines until step `killStep` is reported, waits `delay`
    /// microseconds more and sends SIGKILL (unless the run already ended).
    static func runAndKill(_ executable: String, _ arguments: [String], killStep: Int, delay: UInt32) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        var text = ""
        while !text.contains("step \(killStep)/\(steps) ") {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }  // ended before that step
            text += String(decoding: data, as: UTF8.self)
        }
        usleep(delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// For every quantizer: killed runs resumed with `--resume RUN` alone (the saved options and data)
    /// end with the uninterrupted run's model file, byte for byte.
    @Test(arguments: 0..<4) func killedAndResumedRunEndsWithTheUninterruptedWeights(quantizerIndex: Int) throws {
        let executable = try #require(Self.executable)
        let quantizer = Self.quantizers[quantizerIndex]
        let folder = try Self.freshFolder("kill-\(quantizerIndex)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/data"

        let reference = RunFolder(folder + "/reference")
        let (status, output) = try Self.run(executable, Self.arguments(data: data, quantizer: quantizer) + ["--out", reference.path])
        try #require(status == 0, "the uninterrupted run failed: \(output)")
        let referenceBytes = try FileIO.read(reference.modelPath)

        var generator = RandomGenerator(seed: 2024 + UInt64(quantizerIndex))
        for attempt in 0..<4 {
            // The first attempt dies before the first save (step 3); the others anywhere after it.
            let killStep = attempt == 0 ? 1 : 3 + generator.nextIndex(below: Self.steps - 3)
            let delay = UInt32(generator.nextIndex(below: 20_000))
            let run = RunFolder(folder + "/killed-\(attempt)")
            let moment = "\(quantizer.joined(separator: " ")), attempt \(attempt): killed after step \(killStep) + \(delay) µs"
            try Self.runAndKill(executable, Self.arguments(data: data, quantizer: quantizer) + ["--out", run.path], killStep: killStep, delay: delay)

            // Whatever was saved is complete and loads.
            var savedStateStep: Int?
            if FileIO.exists(run.modelPath) {
                let model = try SafeTensors(contentsOf: run.modelPath)
                _ = try VQVAE(checkpoint: model, path: run.modelPath)
                #expect(model.metadata["step"] != nil, "\(moment)")
            }
            if FileIO.exists(run.trainingStatePath) {
                let state = try SafeTensors(contentsOf: run.trainingStatePath)
                #expect(state.metadata["format"] == SavedRun.format, "\(moment)")
                savedStateStep = state.metadata["step"].flatMap { Int($0) }
                if FileIO.exists(run.modelPath), let step = savedStateStep {
                    let modelStep = try SafeTensors(contentsOf: run.modelPath).metadata["step"].flatMap { Int($0) } ?? -1
                    #expect(modelStep == step || modelStep == step - 3, "\(moment): model at step \(modelStep), state at \(step)")
                }
            }

            let modelStep = FileIO.exists(run.modelPath) ? try SafeTensors(contentsOf: run.modelPath).metadata["step"] ?? "?" : "none"
            print("ResumeAfterKillTests: \(moment): saved state at step \(savedStateStep.map(String.init) ?? "none"), model at step \(modelStep)")
            let (resumeStatus, resumeOutput) = try Self.run(executable, ["train", "--resume", run.path])
            if savedStateStep == nil {
                // Killed before the first save: the resume says so, and a fresh start is the way on.
                #expect(resumeStatus == 1 && resumeOutput.contains("no training state to resume from"), "\(moment): \(resumeOutput)")
                let (freshStatus, freshOutput) = try Self.run(executable, Self.arguments(data: data, quantizer: quantizer) + ["--out", run.path])
                try #require(freshStatus == 0, "\(moment): \(freshOutput)")
            } else {
                try #require(resumeStatus == 0, "\(moment): \(resumeOutput)")
                #expect(resumeOutput.contains("resuming \(run.path) at step \(savedStateStep!) of \(Self.steps)"), "\(moment)")
            }
            let bytes = try FileIO.read(run.modelPath)
            let common = min(bytes.count, referenceBytes.count)
            let firstDifference = (0..<common).first { bytes[$0] != referenceBytes[$0] } ?? (bytes.count == referenceBytes.count ? nil : common)
            #expect(firstDifference == nil, "\(moment): the final model differs from the uninterrupted run's at byte \(firstDifference ?? 0) of \(referenceBytes.count)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.contains(".partial-") }
            #expect(leftovers.isEmpty, "\(moment): temporary files left: \(leftovers)")
        }
    }

    @Test func resumeWithOtherOptionsIsRefusedWithoutTouchingTheRun() throws {
        let executable = try #require(Self.executable)
        let folder = try Self.freshFolder("refuse")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/data"
        let run = RunFolder(folder + "/run")
        var arguments = Self.arguments(data: data)
        arguments[arguments.firstIndex(of: "\(Self.steps)")!] = "6"
        let (status, output) = try Self.run(executable, arguments + ["--out", run.path])
        try #require(status == 0, "\(output)")
        let (model, state) = (try FileIO.read(run.modelPath), try FileIO.read(run.trainingStatePath))
        arguments[arguments.firstIndex(of: "2e-3")!] = "1e-3"
        let (refusedStatus, refusal) = try Self.run(executable, arguments + ["--resume", run.path])
        #expect(refusedStatus == 1)
        #expect(refusal.contains("training_state.safetensors: the run was started with other settings: learningRate saved 0.002, now 0.001; resume with --resume alone"), "\(refusal)")
        // Several differences are all named, quantizer settings included.
        let (_, both) = try Self.run(executable, ["train", "--resume", run.path, "--batch", "8", "--quantizer", "ema"])
        #expect(both.contains("quantizer.kind saved vq, now ema") && both.contains("batchSize saved 4, now 8"), "\(both)")
        // --steps may change, but not below the steps already trained.
        let (fewerStatus, fewer) = try Self.run(executable, ["train", "--resume", run.path, "--steps", "5"])
        #expect(fewerStatus == 1 && fewer.contains("steps saved 6, now 5, fewer than the 6 already trained"), "\(fewer)")
        let untouched = try FileIO.read(run.modelPath) == model && FileIO.read(run.trainingStatePath) == state
        #expect(untouched, "the refused resume changed the run folder")
    }

    /// `--resume RUN --steps N` on a finished run trains it further, to the model file a run started
    /// with `--steps N` writes, byte for byte; the state then records N, so `--resume RUN` alone is done.
    @Test func finishedRunTrainsFurtherWithMoreSteps() throws {
        let executable = try #require(Self.executable)
        let folder = try Self.freshFolder("further")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/data"
        var arguments = Self.arguments(data: data)
        arguments[arguments.firstIndex(of: "\(Self.steps)")!] = "9"
        let longer = RunFolder(folder + "/longer")
        try #require(try Self.run(executable, arguments + ["--out", longer.path]).0 == 0)
        arguments[arguments.firstIndex(of: "9")!] = "5"
        let run = RunFolder(folder + "/run")
        try #require(try Self.run(executable, arguments + ["--out", run.path]).0 == 0)
        let shorter = try FileIO.read(run.modelPath)

        let (status, output) = try Self.run(executable, ["train", "--resume", run.path, "--steps", "9"])
        try #require(status == 0, "\(output)")
        #expect(output.contains("resuming \(run.path) at step 5 of 9 (saved to train 5)"), "\(output)")
        #expect(try FileIO.read(run.modelPath) == FileIO.read(longer.modelPath), "the extended run differs from the 9-step run")
        #expect(try FileIO.read(run.modelPath) != shorter)
        #expect(try SavedRun(run: run).options.steps == 9 && SavedRun(run: run).step == 9)
    }

    /// A learning rate of 1e30 gives finite losses at step 1 and overflows at step 2: the run stops with
    /// status 1 and the save made after step 1 stays as it was.
    @Test func newRunRefusesAFolderHoldingARunUnlessOverwriting() throws {
        let executable = try #require(Self.executable)
        let folder = try Self.freshFolder("overwrite")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/data"
        let run = folder + "/run"
        var arguments = Self.arguments(data: data)
        arguments[arguments.firstIndex(of: "\(Self.steps)")!] = "3"
        #expect(try Self.run(executable, arguments + ["--out", run]).0 == 0)
        let saved = try FileIO.read(run + "/model.safetensors")
        let (status, output) = try Self.run(executable, arguments + ["--out", run, "--seed", "9"])
        #expect(status == 1)
        #expect(output.contains("already holds a run") && output.contains("--resume"), "\(output)")
        #expect(try FileIO.read(run + "/model.safetensors") == saved)
        #expect(try Self.run(executable, arguments + ["--out", run, "--seed", "9", "--overwrite"]).0 == 0)
        #expect(try FileIO.read(run + "/model.safetensors") != saved)
    }

    @Test func defaultRunFolderMovesOnToTheNextFreeOne() throws {
        let executable = try #require(Self.executable)
        let folder = try Self.freshFolder("default-out")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var arguments = Self.arguments(data: folder + "/data")
        arguments[arguments.firstIndex(of: "\(Self.steps)")!] = "2"
        for _ in 0..<3 { #expect(try Self.run(executable, arguments, in: folder).0 == 0) }
        for run in ["runs/vqvae", "runs/vqvae-2", "runs/vqvae-3"] {
            #expect(FileIO.exists(folder + "/" + run + "/model.safetensors"), "\(run)")
        }
    }

    @Test func fullDiskStopsWithOneLineAndKeepsTheGoodRun() throws {
        // A file-size limit (`ulimit -f`, in 512-byte blocks) between the model's and the training
        // state's size makes the first save of a new run fail as a full disk would.
        let executable = try #require(Self.executable)
        let folder = try Self.freshFolder("full")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = RunFolder(folder + "/run")
        var arguments = Self.arguments(data: folder + "/data")
        arguments[arguments.firstIndex(of: "\(Self.steps)")!] = "3"
        #expect(try Self.run(executable, arguments + ["--out", run.path]).0 == 0)
        let (model, state) = (try FileIO.read(run.modelPath), try FileIO.read(run.trainingStatePath))
        try #require(state.count > model.count + 1024)
        let blocks = (model.count + state.count) / 2 / 512
        let (status, output) = try Self.run("/bin/sh", ["-c", "ulimit -f \(blocks); exec \"$0\" \"$@\"", executable]
                                                + arguments + ["--out", run.path, "--overwrite", "--seed", "5"])
        #expect(status == 1)
        let lastLine = output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(lastLine.contains("training_state.safetensors") && lastLine.contains("write failed"), "\(output)")
        #expect(try FileIO.read(run.modelPath) == model && FileIO.read(run.trainingStatePath) == state)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func failedRunKeepsTheLastGoodSave() throws {
        let executable = try #require(Self.executable)
        let folder = try Self.freshFolder("failed")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/data"
        let run = RunFolder(folder + "/run")
        var arguments = Self.arguments(data: data)
        arguments[arguments.firstIndex(of: "2e-3")!] = "1e30"
        arguments[arguments.firstIndex(of: "--save-every")! + 1] = "1"
        let (status, output) = try Self.run(executable, arguments + ["--out", run.path])
        #expect(status == 1)
        #expect(output.contains("training stopped at step 2: the loss is not finite"), "\(output)")
        let model = try SafeTensors(contentsOf: run.modelPath)
        _ = try VQVAE(checkpoint: model, path: run.modelPath)
        #expect(model.metadata["step"] == "1")
        #expect(try SafeTensors(contentsOf: run.trainingStatePath).metadata["step"] == "1")
    }
}
