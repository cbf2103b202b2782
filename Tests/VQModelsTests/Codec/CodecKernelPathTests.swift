import Foundation
import Testing
import VQData
import VQEngine

/// The issue's cross-machine condition, on the built `vqvae` as a user runs it: a file compressed on one
/// kernel path and thread count decodes to the same image on every other (`VQK_KERNEL`, `VQVAE_THREADS`),
/// and that image is `vqvae reconstruct` of the input on the decoding side's path. Paths this CPU lacks
/// are left out (named in the test's output).
@Suite(.serialized, .enabled(if: BuiltExecutable.path != nil,
                             "skipped: no vqvae executable beside the test bundle (run `swift build --build-tests` first)"))
struct CodecKernelPathTests {
    static func run(_ arguments: [String], kernel: String, threads: Int) throws -> (Int32, String) {
        try BuiltExecutable.run(arguments, environment: ["VQK_KERNEL": kernel, "VQVAE_THREADS": "\(threads)"])
    }

    @Test func filesDecodeAlikeOnEveryKernelPathAndThreadCount() throws {
        let folder = TinyCodec.folder("paths")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try TinyCodec.make(in: folder + "/codec")
        try PNGEncoder.write(TinyCodec.image(width: 50, height: 29), to: folder + "/photo.png")
        let paths = Gemm.Kernel.allCases.filter(\.isSupported).map(\.description)
        let settings = paths.flatMap { kernel in [1, 2].map { (kernel, $0) } }
        var decodedImages: [RasterImage] = []
        for (kernel, threads) in settings {
            let out = folder + "/\(kernel)-\(threads)"
            // Compressed on this path, decompressed on the next one (the last wraps to the first).
            let next = settings[(settings.firstIndex { $0 == (kernel, threads) }! + 1) % settings.count]
            let (compressed, compressErrors) = try CodecKernelPathTests.run(
                ["compress", "--codec", folder + "/codec", "--rate", "3", "--out", out, folder + "/photo.png"], kernel: kernel, threads: threads)
            #expect(compressed == 0, "\(compressErrors)")
            let (decompressed, decompressErrors) = try CodecKernelPathTests.run(
                ["decompress", "--codec", folder + "/codec", "--out", out + "/decoded", out + "/photo.vqz"], kernel: next.0, threads: next.1)
            #expect(decompressed == 0, "\(decompressErrors)")
            let (reconstructed, reconstructErrors) = try CodecKernelPathTests.run(
                ["reconstruct", "--model", folder + "/codec/model.safetensors", "--depth", "3", "--out", out + "/reconstructed", folder + "/photo.png"],
                kernel: next.0, threads: next.1)
            #expect(reconstructed == 0, "\(reconstructErrors)")
            let decoded = try ImageFile.read(out + "/decoded/photo.png")
            #expect(decoded == (try ImageFile.read(out + "/reconstructed/photo.png")), "compressed on \(kernel)/\(threads), decoded on \(next.0)/\(next.1)")
            decodedImages.append(decoded)
        }
        print("codec kernel paths checked: \(paths.joined(separator: ", ")) x 1 and 2 threads")
        #expect(decodedImages.count == settings.count)
    }
}
