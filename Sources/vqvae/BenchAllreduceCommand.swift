import ArgumentParser
import VQEngine
import VQModels
import VQNN

/// `mpirun -np N vqvae bench allreduce [--floats F] [--runs R] [--json]`: the time of one all-reduce
/// of a data-parallel step's gradients.
struct BenchAllreduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time of one all-reduce (sum) of a training step's gradients across the processes of an MPI job.",
        discussion: """
            Run under an MPI launcher (mpirun -np N vqvae bench allreduce). Sums --floats fp32 values \
            (default: the gradients of the Sonnet VQ-VAE plus its three loss parts, what a data-parallel \
            step of vqvae train sends) in buckets of 4 MB, as the training step does, --runs times after \
            3 untimed runs, and reports the median. Bandwidth: algorithm bytes/s = bytes / seconds; bus \
            bytes/s = 2(N-1)/N x bytes / seconds, what each link carries in a ring all-reduce. Packing: the \
            same calls without communication (the values laid into the buckets, weighted, and back).
            """)

    @Option(help: "Values summed per step, in one tensor after 3 loss parts (default: the Sonnet VQ-VAE's gradients, tensor by tensor).") var floats: Int?
    @Option(help: "Timed all-reduces.") var runs = 50
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        if let floats, floats < 4 { throw ValidationError("--floats must be at least 4 (3 loss parts and a gradient)") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let group = try ProcessGroup.join(command: "bench allreduce")
        guard group.size > 1 else {
            throw CommandFailure("bench allreduce measures an MPI job: run it as mpirun -np 2 (or more) vqvae bench allreduce")
        }
        defer { group.finish() }
        // What a step of vqvae train sums: 3 loss parts, then a gradient per parameter (or one of --floats).
        var values: [Float] = [1, 1, 1]
        var tensors = floats.map { [Tensor(repeating: 1, shape: [$0 - 3])] } ?? Self.sonnetParameterShapes.map { Tensor(repeating: 1, shape: $0) }
        let count = values.count + tensors.reduce(0) { $0 + $1.count }
        var buckets = GradientBuckets()
        var calls = 0
        var failure: Error?
        let measurement = Benchmark.measure(warmUpRuns: 3, runs: runs, prepare: {}) { _ in
            guard failure == nil else { return }
            do { calls = try buckets.sum(scalars: &values, tensors: &tensors, weight: 1, communicator: group.communicator) } catch {
                failure = error
            }
        }
        if let failure { try failingWithOneLine { throw failure } }
        // The same calls without communication: laying the values into the buckets, weighted, and back.
        var local = GradientBuckets()
        let packing = Benchmark.measure(warmUpRuns: 3, runs: runs, prepare: {}) { _ in
            _ = try? local.sum(scalars: &values, tensors: &tensors, weight: 1, communicator: SingleProcessCommunicator.shared)
        }
        guard group.isLeader else { return }
        writeBenchmarkMachine()
        let bytes = Double(count * MemoryLayout<Float>.size)
        let seconds = measurement.median
        let algorithm = bytes / seconds, bus = algorithm * 2 * Double(group.size - 1) / Double(group.size)
        if json {
            print(jsonObject(["op": "\"allreduce\"", "processes": "\(group.size)", "floats": "\(count)", "bytes": "\(Int(bytes))",
                              "calls": "\(calls)", "runs": "\(measurement.runs)", "median_ms": format(seconds * 1000, 3),
                              "minimum_ms": format(measurement.minimum * 1000, 3), "packing_ms": format(packing.median * 1000, 3),
                              "algorithm_gbytes_per_second": format(algorithm / 1e9, 3), "bus_gbytes_per_second": format(bus / 1e9, 3)]))
        } else {
            print("allreduce of \(count) floats (\(format(bytes / 1e6, 2)) MB, \(calls) call\(calls == 1 ? "" : "s")) over \(group.size) processes: "
                + "median \(format(seconds * 1000, 3)) ms of \(measurement.runs) runs (fastest \(format(measurement.minimum * 1000, 3)) ms; "
                + "packing alone \(format(packing.median * 1000, 3)) ms), "
                + "\(format(algorithm / 1e9, 2)) GB/s algorithm, \(format(bus / 1e9, 2)) GB/s bus")
        }
    }

    /// The shapes of the Sonnet VQ-VAE's parameters on one-channel images (what `vqvae train` trains by default).
    static var sonnetParameterShapes: [[Int]] {
        var generator = RandomGenerator(seed: 0)
        return VQVAE(VQVAEConfiguration(preset: .sonnet, inputChannels: 1), generator: &generator).parameters.map(\.shape)
    }
}
