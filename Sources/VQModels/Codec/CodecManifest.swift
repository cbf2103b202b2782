import Foundation
import VQData

/// `RUN/codec.json`: what a codec run folder holds besides `model.safetensors` (the autoencoder) and
/// its priors, one per quantizer stage (`prior-1.safetensors`, …): the static code histograms and the
/// tile side the priors walk. FORMATS.md describes the folder.
public struct CodecManifest: Codable, Equatable, Sendable {
    public static let formatTag = "vqvae-codec/1"
    public static let fileName = "codec.json"

    /// `formatTag`.
    public var format: String
    /// The side, in codes, of the tiles the priors walk together (`ImageCodec.walk`).
    public var tileSide: Int
    /// Per quantizer stage, the `FrequencyTable` frequencies of its codes over the training crops.
    public var histograms: [[UInt32]]
    /// Per stage from the first, the prior's file name in the run folder (fewer than the stages: the
    /// deeper stages are coded with their histogram only).
    public var priors: [String]
    /// The training crop's side in pixels, for messages.
    public var cropSize: Int

    public init(tileSide: Int, histograms: [[UInt32]], priors: [String], cropSize: Int) {
        (format, self.tileSide, self.histograms, self.priors, self.cropSize) = (CodecManifest.formatTag, tileSide, histograms, priors, cropSize)
    }

    /// Reads and checks `folder/codec.json`.
    public init(folder: String) throws {
        let path = folder + "/" + CodecManifest.fileName
        guard FileIO.exists(path) else {
            throw DataError(folder, "is not a codec run (no \(CodecManifest.fileName)); make one with `vqvae codec train`")
        }
        let manifest: CodecManifest
        do {
            manifest = try JSONDecoder().decode(CodecManifest.self, from: Data(FileIO.read(path)))
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(path, "is not a codec manifest (\(error.localizedDescription))")
        }
        guard manifest.format == CodecManifest.formatTag else {
            throw DataError(path, "has format '\(manifest.format)', expected '\(CodecManifest.formatTag)'")
        }
        guard (1...256).contains(manifest.tileSide) else {
            throw DataError(path, "has tile side \(manifest.tileSide), expected 1 to 256")
        }
        self = manifest
    }

    /// Writes `folder/codec.json` atomically (sorted keys, so equal manifests are equal bytes).
    public func write(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileIO.writeAtomically(Array(try encoder.encode(self)), to: folder + "/" + CodecManifest.fileName)
    }
}
