import Foundation
import Testing
import VQEngine
import _VQTestSupport

/// The convolution ops against PyTorch.
///
/// Every expected value comes from `Fixtures/conv_fixtures.json`, written by
/// `Fixtures/make_conv_fixtures.py` (the torch version is recorded in the file): float32 inputs drawn
/// with a fixed seed, the op run in float64 by `torch.nn.functional` (conv2d, conv_transpose2d,
/// conv1d, conv_transpose1d; the masked case as conv2d(x, w * mask)), and the gradients of
/// sum(output · cotangent) with respect to input, weight and bias from `backward()`.
@Suite struct ConvolutionFixtureTests {
    struct Fixture: Decodable {
        let generator: String
        let torchVersion: String
        let cases: [Case]
    }

    struct Case: Decodable {
        let name: String
        let op: String
        let stride: [Int], padding: [Int], dilation: [Int]
        let outputPadding: [Int]?
        let groups: Int
        let input: Values, weight: Values, bias: Values?, mask: Values?, cotangent: Values
        let output: Values, inputGradient: Values, weightGradient: Values, biasGradient: Values?
    }

    struct Values: Decodable {
        let shape: [Int]
        let values: [Double]
        var tensor: Tensor { Tensor(shape: shape, scalars: values.map { Float($0) }) }
    }

    static func loadFixture() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "conv_fixtures", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// Runs the case's op on watched tensors, in this package's API.
    static func apply(_ c: Case, _ input: Tensor, _ weight: Tensor, _ bias: Tensor?, mask: Tensor?) -> Tensor {
        func pair(_ values: [Int]) -> HeightWidth { HeightWidth(values[0], values[1]) }
        switch c.op {
        case "conv2d":
            return input.conv2d(weight: weight, bias: bias, stride: pair(c.stride), padding: pair(c.padding),
                                dilation: pair(c.dilation), groups: c.groups, mask: mask)
        case "convTranspose2d":
            return input.convTranspose2d(weight: weight, bias: bias, stride: pair(c.stride), padding: pair(c.padding),
                                         outputPadding: pair(c.outputPadding!), dilation: pair(c.dilation), groups: c.groups)
        case "conv1d":
            return input.conv1d(weight: weight, bias: bias, stride: c.stride[0], padding: c.padding[0], dilation: c.dilation[0],
                                groups: c.groups)
        case "convTranspose1d":
            return input.convTranspose1d(weight: weight, bias: bias, stride: c.stride[0], padding: c.padding[0],
                                         outputPadding: c.outputPadding![0], dilation: c.dilation[0], groups: c.groups)
        default:
            preconditionFailure("unknown op \(c.op) in the fixture")
        }
    }

    @Test func fixtureRecordsItsOrigin() throws {
        let fixture = try ConvolutionFixtureTests.loadFixture()
        #expect(fixture.generator.hasSuffix("make_conv_fixtures.py"))
        #expect(fixture.torchVersion.hasPrefix("2."))
        #expect(Set(fixture.cases.map(\.op)) == ["conv2d", "convTranspose2d", "conv1d", "convTranspose1d"])
        #expect(fixture.cases.contains { $0.mask != nil })
    }

    @Test func outputsAndGradientsMatchPyTorch() throws {
        for c in try ConvolutionFixtureTests.loadFixture().cases {
            let tape = Tape()
            let watched = ([c.input, c.weight] + [c.bias].compactMap { $0 }).map { tape.watch($0.tensor) }
            let output = ConvolutionFixtureTests.apply(c, watched[0], watched[1], watched.count > 2 ? watched[2] : nil,
                                                       mask: c.mask?.tensor)
            expectClose(output, c.output.tensor, absolute: 1e-5, relative: 1e-4, "\(c.name): output")
            let gradients = tape.gradients(of: output, seed: c.cotangent.tensor, withRespectTo: watched)
            expectClose(gradients[0], c.inputGradient.tensor, absolute: 1e-5, relative: 1e-4, "\(c.name): input gradient")
            expectClose(gradients[1], c.weightGradient.tensor, absolute: 1e-5, relative: 1e-4, "\(c.name): weight gradient")
            if let biasGradient = c.biasGradient {
                expectClose(gradients[2], biasGradient.tensor, absolute: 1e-5, relative: 1e-4, "\(c.name): bias gradient")
            }
        }
    }
}
