import ArgumentParser
import Foundation
import Testing
import VQData
import VQEngine
import VQModels
@testable import vqvae

/// `vqvae reconstruct`, `encode`, `decode` and `info` end to end, in process, on a tiny untrained model
/// and the built-in shapes.
@Suite struct CodesCommandsTests {
    /// A folder holding a tiny model checkpoint recorded as trained on 28×28 images.
    static func folderWithModel() throws -> String {
        let folder = NSTemporaryDirectory() + "/vqvae-codes-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: 4)
        let configuration = VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                               numEmbeddings: 20, embeddingDim: 4)
        try VQVAE(configuration, generator: &generator).checkpoint(metadata: VQVAE.imageSizeMetadata(height: 28, width: 28))
            .write(to: folder + "/model.safetensors")
        return folder
    }

    static func run(_ arguments: [String]) throws {
        var command = try VQVAECommand.parseAsRoot(arguments)
        try command.run()
    }

    /// The failure line of a command expected to fail with exit status 1.
    static func failure(_ arguments: [String]) -> String? {
        do {
            try run(arguments)
            return nil
        } catch {
            #expect(VQVAECommand.exitCode(for: error) == .failure)
            return VQVAECommand.message(for: error)
        }
    }

    @Test func decodedImagesEqualTheReconstructionsInTheGrid() throws {
        let folder = try CodesCommandsTests.folderWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = folder + "/model.safetensors"
        try CodesCommandsTests.run(["reconstruct", "--model", model, "--out", folder + "/grid.png", "--count", "5", "--pairs-per-row", "5"])
        try CodesCommandsTests.run(["encode", "--model", model, "--out", folder + "/codes.vqc", "--limit", "5"])
        try CodesCommandsTests.run(["decode", "--model", model, "--codes", folder + "/codes.vqc", "--out", folder + "/decoded"])
        let grid = try PNGDecoder.read(folder + "/grid.png")
        #expect(grid.width == 2 + 10 * 30 && grid.height == 32)
        for item in 0..<5 {
            let single = try PNGDecoder.read(folder + "/decoded/00000\(item).png")
            #expect(single.width == 28 && single.height == 28)
            // Reconstruction `item` sits right of its original: x from 2 + (2·item + 1)·30, y from 2.
            let left = 2 + (2 * item + 1) * 30
            let crop = (0..<28).flatMap { y in (0..<28).map { x in grid.pixel(x: left + x, y: 2 + y)[0] } }
            #expect(crop == single.pixels)
        }
        #expect(try PNGDecoder.read(folder + "/decoded/decoded.png").width == 2 + 5 * 30)
        #expect(try CodesFile(contentsOf: folder + "/codes.vqc").labels.count == 5)
    }

    @Test func badInputEndsWithOneLineNamingTheFile() throws {
        let folder = try CodesCommandsTests.folderWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = folder + "/model.safetensors", codes = folder + "/codes.vqc"
        try CodesCommandsTests.run(["encode", "--model", model, "--out", codes, "--limit", "3"])
        let good = try FileIO.read(codes)
        func decodeFailure(_ bytes: [UInt8]) throws -> String? {
            try FileIO.writeAtomically(bytes, to: folder + "/bad.vqc")
            return CodesCommandsTests.failure(["decode", "--model", model, "--codes", folder + "/bad.vqc", "--out", folder + "/out"])
        }
        #expect(CodesCommandsTests.failure(["decode", "--model", model, "--codes", folder + "/none.vqc", "--out", folder + "/out"])
                == "\(folder)/none.vqc: cannot open (No such file or directory)")
        #expect(try decodeFailure([0] + good.dropFirst()) == "\(folder)/bad.vqc: not a codes file (the first bytes are not 'VQC1')")
        #expect(try decodeFailure(Array(good.dropLast(5)))?.hasPrefix("\(folder)/bad.vqc: the header (3 grids of 7x7, K 20, labels) needs") == true)
        let otherK = CodesFile(count: 1, height: 7, width: 7, numEmbeddings: 512, indices: [Int32](repeating: 1, count: 49)).encoded()
        #expect(try decodeFailure(otherK) == "\(folder)/bad.vqc: the codes use K = 512 codes, the model has 20")
        let otherGrid = CodesFile(count: 1, height: 8, width: 8, numEmbeddings: 20, indices: [Int32](repeating: 1, count: 64)).encoded()
        #expect(try decodeFailure(otherGrid) == "\(folder)/bad.vqc: the grids are 8x8 codes, the model was trained on 28x28 images (7x7 codes)")
        #expect(CodesCommandsTests.failure(["reconstruct", "--model", folder + "/none.safetensors", "--out", folder + "/g.png"])
                == "\(folder)/none.safetensors: cannot open (No such file or directory)")
        #expect(CodesCommandsTests.failure(["info", codes])?.hasPrefix("\(codes): ") == true)
        #expect(!FileIO.exists(folder + "/out"))
    }

    @Test func infoPrintsJSONWithEveryPart() throws {
        let folder = try CodesCommandsTests.folderWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let command = try VQVAECommand.parseAsRoot(["info", "--json", folder + "/model.safetensors"]) as! InfoCommand
        let file = try SafeTensors(contentsOf: folder + "/model.safetensors")
        let model = try VQVAE(checkpoint: file, path: "m")
        let report = InfoCommand.Report(path: "m", configuration: model.configuration, metadata: [:],
                                        parameters: ["encoder": 1], codebooks: model.codebookStatistics)
        let json = try command.jsonText(report)
        for key in ["\"num_embeddings\":20", "\"pairwise_distances\"", "\"nearest_neighbour_distances\"", "\"parameters\":{\"encoder\":1}"] {
            #expect(json.contains(key), "\(key) missing from \(json)")
        }
        try command.run()
    }

    @Test(arguments: [ReconstructCommand.self, EncodeCommand.self, DecodeCommand.self, InfoCommand.self] as [ParsableCommand.Type])
    func helpExplainsEveryOptionWithItsDefault(command: ParsableCommand.Type) {
        let help = VQVAECommand.helpMessage(for: command, columns: 1000)
        // An option whose name is long gets its text on the next line: join those first.
        let joined = help.replacingOccurrences(of: ">\n   ", with: "> ")
        let optionLines = joined.split(separator: "\n").filter { $0.hasPrefix("  --") && !$0.contains("--help") }
        #expect(!optionLines.isEmpty)
        for line in optionLines {
            let explained = line.contains("default") || line.contains("Required") || line.contains("--json")
            #expect(explained, "\(line)")
        }
    }
}
