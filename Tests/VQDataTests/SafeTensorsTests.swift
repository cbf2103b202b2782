import Foundation
import Testing
import VQEngine
import VQData

@Suite struct SafeTensorsTests {
    let sample = SafeTensors(
        tensors: ["encoder.weight": Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, 1e-30, -7]),
                  "bias": Tensor(shape: [2], scalars: [0.25, -0.5]),
                  "empty": Tensor(zeros: [0, 4])],
        metadata: ["preset": "sonnet"])

    @Test func roundTrip() throws {
        let bytes = sample.encoded()
        // Layout worked out by hand from the format: 8-byte length, JSON padded to 8, then data.
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(headerLength % 8 == 0 && bytes.count == 8 + headerLength + 4 * 8)
        let parsed = try SafeTensors(parsing: bytes, path: "m")
        #expect(parsed.metadata == ["preset": "sonnet"])
        #expect(parsed.tensors.keys.sorted() == ["bias", "empty", "encoder.weight"])
        #expect(parsed.tensors["encoder.weight"]!.scalars == sample.tensors["encoder.weight"]!.scalars)
        #expect(parsed.tensors["encoder.weight"]!.shape == [2, 3] && parsed.tensors["empty"]!.shape == [0, 4])
    }

    /// Written by the reference implementation (Python `safetensors`), by Fixtures/make_safetensors_fixture.py;
    /// the expected values are the arrays that script builds.
    @Test func readsAFileWrittenByPython() throws {
        let path = String(#filePath).replacingOccurrences(of: "SafeTensorsTests.swift", with: "Fixtures/python_written.safetensors")
        let file = try SafeTensors(contentsOf: path)
        #expect(file.metadata["writer"]?.hasPrefix("safetensors-") == true)
        #expect(file.tensors["decoder.conv.weight"]!.shape == [2, 3, 2, 2])
        #expect(file.tensors["decoder.conv.weight"]!.scalars == (0..<24).map { Float($0) / 8 - 1 })
        #expect(file.tensors["codebook"]!.scalars == [1e-3, -2.5, 3.25, 1e6])
        #expect(file.tensors["scalar"]!.shape == [] && file.tensors["scalar"]!.scalars == [7.5])
    }

    func file(header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
    }

    @Test func badInputsNameTheFileAndTheProblem() {
        let four = [UInt8](repeating: 0, count: 4)
        let cases: [([UInt8], String)] = [
            ([1, 2, 3], "too short for a safetensors header (3 bytes)"),
            ([255, 255, 255, 255, 0, 0, 0, 0, 1], "safetensors header length 4294967295 exceeds the file's 1 remaining bytes"),
            (file(header: "[1]", data: []), "safetensors header is not a JSON object"),
            (file(header: #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: four),
             "tensor a: dtype F16 is not supported (only F32)"),
            (file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four),
             "tensor a: shape [2] needs 8 bytes but data_offsets span 4"),
            (file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, data: four),
             "tensor a: data_offsets [0, 8] do not lie within the 4 data bytes"),
            (file(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four),
             "tensor a: shape holds -1, not a non-negative integer"),
            (file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four + four),
             "the tensors cover 4 of the 8 data bytes"),
            (file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four),
             "tensor b starts at byte 0 of the data, expected 4 (gap or overlap)"),
            (file(header: #"{"a":{"dtype":"F32"}}"#, data: []), "tensor a: entry needs dtype, shape and data_offsets"),
            (file(header: #"{"__metadata__":{"k":3}}"#, data: []), "metadata k is not a string"),
        ]
        for (bytes, problem) in cases {
            #expect(throws: DataError("m.safetensors", problem)) { _ = try SafeTensors(parsing: bytes, path: "m.safetensors") }
        }
    }

    /// Thousands of corruptions of a valid file: half anywhere (Mutator, including rewrites of the
    /// 8-byte header length), half inside the JSON header only, with the length field set to match, so
    /// the JSON and entry checks are reached. Every outcome is a parsed file or a DataError.
    @Test func mutatedFilesNeverCrash() {
        let good = sample.encoded()
        let headerLength = Int(good[0]) | Int(good[1]) << 8
        let json = Array(good[8..<(8 + headerLength)]), data = Array(good[(8 + headerLength)...])
        var mutator = Mutator(seed: 2, fields: [(0, 8), (0, 1), (1, 1), (7, 1)])
        for round in 0..<6000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = mutator.mutate(good)
            } else {
                let header = mutator.mutate(json)
                bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + data
            }
            do {
                let parsed = try SafeTensors(parsing: bytes, path: "m")
                #expect(parsed.tensors.values.allSatisfy { $0.shape.reduce(1, *) == $0.count })
            } catch is DataError {} catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}

