import Foundation
import Testing
import VQData
import VQEngine
import VQModels
import VQNN
import _VQTestSupport

/// One whole training step of our VQ-VAE against PyTorch's.
///
/// The expected values come from Fixtures/training_step.safetensors, written by
/// Fixtures/make_training_step_fixture.py: the torch_ref.py model (hidden 8, residual 4, 2 blocks, K 16,
/// D 4, 12x12 gray images, batch 3), its parameters, the batch, the losses, every gradient and the
/// parameters after one torch.optim.Adam step (lr 3e-4), computed in float64 and stored as float32; the
/// same for an EMA codebook under the prefix `ema.`. The step is the real one, `ModelTrainer.step(on:)`
/// (what `Trainer.trainStep` runs on a drawn batch), on the fixture's batch; the gradients come from
/// `ModelTrainer.lossAndGradients(on:)`, the first half of that step.
@Suite struct TrainingStepFixtureTests {
    static var fixture: SafeTensors {
        let path = String(#filePath).replacingOccurrences(
            of: "TrainingStepFixtureTests.swift", with: "Fixtures/training_step.safetensors")
        return try! SafeTensors(contentsOf: path)
    }

    static func configuration(movingAverages: Bool) -> VQVAEConfiguration {
        VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 2,
                           numEmbeddings: 16, embeddingDim: 4, commitmentCost: 0.25,
                           movingAverageCodebook: movingAverages, decay: 0.99)
    }

    /// The fixture's tensors of one variant, without its prefix.
    static func tensors(prefix: String) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, tensor) in fixture.tensors where name.hasPrefix(prefix) {
            let stripped = String(name.dropFirst(prefix.count))
            if prefix.isEmpty && stripped.hasPrefix("ema.") { continue }
            result[stripped] = tensor
        }
        return result
    }

    /// What our step gives: losses, gradients by name, the model afterwards.
    struct StepResult {
        var losses: [String: Float]
        var indices: [Int32]
        var gradients: [String: Tensor]
        var model: VQVAE
    }

    static func runStep(_ model: VQVAE, images: Tensor) throws -> StepResult {
        func trainer() -> ModelTrainer<VQVAE> {
            ModelTrainer(model: model, optimizer: Adam(learningRate: 3e-4), schedule: .constant(3e-4), generator: RandomGenerator(seed: 0))
        }
        var probe = trainer()
        let (loss, gradients) = try probe.lossAndGradients(on: VQVAE.Batch(input: images))
        var training = trainer()
        let (report, output) = try training.step(on: VQVAE.Batch(input: images))
        var losses = report.losses
        losses["total"] = loss.total.item
        return StepResult(losses: losses, indices: output.indices,
                          gradients: Dictionary(uniqueKeysWithValues: zip(model.parameterNames, gradients)), model: training.model)
    }

    /// The largest |actual − expected| / |expected| over elements with |expected| > floor (for the report).
    static func maximumRelativeError(_ actual: Tensor, _ expected: Tensor, floor: Float) -> Float {
        zip(actual.scalars, expected.scalars).reduce(0) { worst, pair in
            abs(pair.1) > floor ? max(worst, abs(pair.0 - pair.1) / abs(pair.1)) : worst
        }
    }

    /// Absolute tolerance for a tensor: 1e-5 of its largest expected magnitude (float32 sums of many
    /// terms of that size carry errors of that order on the tiny elements), at least 1e-9.
    static func absoluteTolerance(_ expected: Tensor) -> Float {
        max(1e-9, 1e-5 * expected.scalars.reduce(0) { max($0, abs($1)) })
    }

    func check(prefix: String, movingAverages: Bool) throws {
        let expected = Self.tensors(prefix: prefix)
        var generator = RandomGenerator(seed: 1)
        var model = VQVAE(Self.configuration(movingAverages: movingAverages), generator: &generator)
        try model.loadParameters(from: expected)
        if movingAverages {  // the EMA state is the quantizer's buffers
            var state = expected
            state["quantizer.ema.cluster_sizes"] = expected["cluster_sizes"]!
            state["quantizer.ema.embedding_sums"] = expected["embedding_sums"]!
            try model.loadNamedTensors(state)
        }
        let result = try Self.runStep(model, images: expected["input"]!)
        var report: [String] = []

        #expect(result.indices.map { Float($0) } == expected["indices"]!.scalars, "\(prefix)codes")
        for name in ["reconstruction", "codebook", "commitment", "total"] {
            let want = expected["loss." + name]!
            expectClose([result.losses[name]!], want.scalars, absolute: 1e-9, relative: 1e-4, "\(prefix)loss.\(name)")
            report.append("loss.\(name) \(Self.maximumRelativeError(Tensor(result.losses[name]!), want, floor: 0))")
        }
        var worstGradient: Float = 0, worstLargeGradient: Float = 0, worstAfter: Float = 0
        for name in model.parameterNames {
            let gradient = expected["grad." + name]!, after = expected["after." + name]!
            expectClose(result.gradients[name]!, gradient, absolute: Self.absoluteTolerance(gradient),
                        relative: 1e-4, "\(prefix)grad.\(name)")
            // After one Adam step p − lr·g/(|g| + 1e-8): elements move by at most lr, so the absolute part
            // is 1e-4 of lr (tiny gradients make the step sensitive to their float32 error).
            let actualAfter = result.model.parameters[model.parameterNames.firstIndex(of: name)!]
            expectClose(actualAfter, after, absolute: 3e-8, relative: 1e-4, "\(prefix)after.\(name)")
            worstGradient = max(worstGradient, Self.maximumRelativeError(result.gradients[name]!, gradient, floor: Self.absoluteTolerance(gradient)))
            worstLargeGradient = max(worstLargeGradient, Self.maximumRelativeError(
                result.gradients[name]!, gradient, floor: 1e3 * Self.absoluteTolerance(gradient)))
            worstAfter = max(worstAfter, Self.maximumRelativeError(actualAfter, after, floor: 1e-6))
        }
        report.append("gradients \(worstGradient) (elements above 1e-5 of their tensor's largest), "
                      + "\(worstLargeGradient) (above 1e-2 of it)")
        report.append("parameters after Adam \(worstAfter)")
        if movingAverages {
            // Codes chosen in the step follow PyTorch's formula. Codes no vector chose (cluster size 0,
            // below `CodebookMovingAverages.minimumClusterSize`) are where we depart on purpose: the
            // reference divides their decayed sums by Ñ ≈ ε and throws them to norms of ~2e5 (see the
            // fixture); ours keep their vectors, with sums reset to e·Ñ.
            let state = result.model.namedTensors
            let chosen = Set(result.indices.map(Int.init))
            #expect(chosen.count < 16, "the fixture has unchosen codes to check")
            let d = 4
            let before = expected["quantizer.codebook"]!.scalars
            for (name, actual) in [("quantizer.codebook", state["quantizer.codebook"]!),
                                   ("cluster_sizes", state["quantizer.ema.cluster_sizes"]!),
                                   ("embedding_sums", state["quantizer.ema.embedding_sums"]!)] {
                let want = expected["after." + name]!
                let width = name == "cluster_sizes" ? 1 : d
                let rows = chosen.sorted()
                func rowsOf(_ tensor: Tensor) -> [Float] { rows.flatMap { Array(tensor.scalars[($0 * width)..<(($0 + 1) * width)]) } }
                expectClose(rowsOf(actual), rowsOf(want), absolute: 1e-7, relative: 1e-4, "\(prefix)after.\(name), chosen codes")
                report.append("after.\(name) \(Self.maximumRelativeError(Tensor(shape: [rowsOf(want).count], scalars: rowsOf(actual)), Tensor(shape: [rowsOf(want).count], scalars: rowsOf(want)), floor: 1e-6))")
            }
            let codebook = state["quantizer.codebook"]!.scalars
            for code in 0..<16 where !chosen.contains(code) {
                #expect(Array(codebook[(code * d)..<((code + 1) * d)]) == Array(before[(code * d)..<((code + 1) * d)]), "code \(code) kept")
            }
        }
        if ProcessInfo.processInfo.environment["VQ_FIXTURE_REPORT"] != nil {
            print("[\(prefix.isEmpty ? "loss codebook" : "EMA codebook")] max relative errors: " + report.joined(separator: ", "))
        }
    }

    @Test func stepWithLossLearnedCodebookMatchesPyTorch() throws {
        #expect(Self.fixture.metadata["script"] == "Tests/VQModelsTests/Fixtures/make_training_step_fixture.py")
        try check(prefix: "", movingAverages: false)
    }

    @Test func stepWithMovingAverageCodebookMatchesPyTorch() throws {
        try check(prefix: "ema.", movingAverages: true)
    }

    /// The fixture's names are ours: every parameter of the configuration has a value, a gradient and an
    /// updated value, and nothing else is called a parameter.
    @Test func fixtureNamesAreOurParameterNames() {
        var generator = RandomGenerator(seed: 1)
        let names = VQVAE(Self.configuration(movingAverages: false), generator: &generator).parameterNames
        let expected = Self.tensors(prefix: "")
        let stored = Set(expected.keys.filter { $0.hasPrefix("after.") }.map { String($0.dropFirst(6)) })
        #expect(stored == Set(names))
        for name in names { #expect(expected[name] != nil && expected["grad." + name] != nil, "\(name)") }
    }
}
