import ArgumentParser
import VQEngine
import VQModels

struct BenchSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Time of drawing code grids from a PixelCNN prior: the incremental sampler (its cursor keeps every layer's activations) against full passes.",
        discussion: "Without --prior it times a freshly initialised default prior (K 512, 10 classes). Decoding is not included.")

    @Option(help: "A prior checkpoint (default: a random default prior).") var prior: String?
    @Option(help: "Grids drawn together.") var count = 100
    @Option(help: "Code grid height and width (7: the codes of 28x28 images).") var gridSize = 7
    @Flag(help: "Skip the full-pass reference (it is slow).") var skipNaive = false
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        guard count >= 1, gridSize >= 1 else { throw ValidationError("--count and --grid-size must be at least 1") }
    }

    func run() throws {
        writeBenchmarkMachine()
        var generator = RandomGenerator(seed: 0)
        let pixelCNN = try prior.map { try PixelCNN(contentsOf: $0) }
            ?? PixelCNN(PixelCNNConfiguration(numEmbeddings: 512, numClasses: 10), generator: &generator)
        let classes = pixelCNN.configuration.numClasses
        let labels = classes > 0 ? (0..<count).map { Int32($0 % classes) } : nil
        func time(_ body: (inout RandomGenerator) -> [Int32]) -> (seconds: Double, codes: [Int32]) {
            var sampling = RandomGenerator(seed: 1)
            let started = ContinuousClock.now
            let codes = body(&sampling)
            return ((ContinuousClock.now - started).seconds, codes)
        }
        let fast = time { pixelCNN.sample(count: count, height: gridSize, width: gridSize, labels: labels, generator: &$0) }
        let naive = skipNaive ? nil : time {
            pixelCNN.sampleByFullPasses(count: count, height: gridSize, width: gridSize, labels: labels, generator: &$0)
        }
        let fastMilliseconds = fast.seconds * 1000 / Double(count)
        let naiveMilliseconds = naive.map { $0.seconds * 1000 / Double(count) }
        if json {
            var fields = ["count": "\(count)", "grid_size": "\(gridSize)", "cursor_ms_per_grid": "\(fastMilliseconds)"]
            if let naive, let naiveMilliseconds {
                fields["full_pass_ms_per_grid"] = "\(naiveMilliseconds)"
                fields["same_codes"] = "\(naive.codes == fast.codes)"
            }
            print(jsonObject(fields))
        } else {
            var line = "\(count) grids of \(gridSize)x\(gridSize): incremental sampler \(format(fastMilliseconds, 2)) ms per grid"
            if let naive, let naiveMilliseconds {
                line += ", full passes \(format(naiveMilliseconds, 2)) ms per grid (\(format(naiveMilliseconds / fastMilliseconds, 1))x), same codes: \(naive.codes == fast.codes)"
            }
            print(line)
        }
    }
}
