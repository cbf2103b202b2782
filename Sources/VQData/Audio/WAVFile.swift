/// A WAV (RIFF/WAVE) file's audio: its format and its samples as `Float`s in [-1, 1), frames in order,
/// the channels of each frame interleaved.
///
/// Reading (`init(contentsOf:)`, `init(parsing:path:)`): the container rules are `RIFFChunks`' and the
/// formats `WAVFormat`'s (PCM 8/16/24/32-bit, IEEE float 32/64-bit, also as WAVE_FORMAT_EXTENSIBLE; any
/// channel count and sample rate). Samples become `Float`s:
/// - integer PCM of b bits: value / 2^(b−1) (8-bit samples are unsigned: (value − 128) / 128), exact
///   up to 24 bits; 32-bit values are rounded to `Float`, and the few that round up to 1 are set to
///   the largest `Float` below 1 (1 − 2^−24);
/// - IEEE float: clipped to [-1, 1 − 2^−24], so every sample meets the same contract; NaN and
///   infinities are refused (`DataError` naming the frame and channel).
/// A data chunk whose size is not a whole number of frames (block align) is refused rather than
/// silently shortened: a partial frame means a writer bug or a cut file. A data chunk of 0 bytes is
/// valid (no frames).
///
/// Writing (`encoded`, `write(to:)`): always 16-bit PCM, format code 1, a 44-byte header (`fmt ` then
/// `data`), any channel count, whatever `format` says; samples are rounded to the nearest multiple of
/// 2^−15 (ties away from zero) and clipped to [-1, 1 − 2^−15] (NaN becomes 0), so reading back is
/// within 2^−15 of the input in [-1, 1).
public struct WAVFile: Equatable, Sendable {
    /// How the file read stored its samples; for a `WAVFile` made in memory, 16-bit PCM (what the writer
    /// writes).
    public let format: WAVFormat
    /// frameCount × channelCount samples, frame by frame, channels interleaved.
    public let samples: [Float]

    public var sampleRate: Int { format.sampleRate }
    public var channelCount: Int { format.channelCount }
    public var frameCount: Int { samples.count / format.channelCount }

    /// Audio to write: `samples` interleaved by frame, `channelCount` to a frame.
    public init(sampleRate: Int, channelCount: Int = 1, samples: [Float]) {
        self.init(format: WAVFormat(encoding: .signed16, channelCount: channelCount, sampleRate: sampleRate), samples: samples)
    }

    public init(format: WAVFormat, samples: [Float]) {
        precondition(samples.count % format.channelCount == 0,
                     "WAVFile: \(samples.count) samples are not a whole number of \(format.channelCount)-channel frames")
        self.format = format
        self.samples = samples
    }

    /// Reads the WAV file at `path` (whole, through `FileIO.read`).
    public init(contentsOf path: String) throws {
        try self.init(parsing: FileIO.read(path), path: path)
    }

    /// Parses the bytes of a WAV file; `path` names it in errors. Every allocation is sized by the bytes
    /// of the data chunk, which are present: at most 4 `Float` bytes per byte of 8-bit data.
    public init(parsing bytes: [UInt8], path: String) throws {
        let chunks = try RIFFChunks(parsing: bytes, path: path)
        let format = try WAVFormat(parsing: chunks.format, offset: chunks.formatOffset, path: path)
        let dataSize = chunks.data.count, blockAlign = format.blockAlign
        guard dataSize % blockAlign == 0 else {
            let what = chunks.dataSizeWasUnknown ? "data (to the end of the file, size 0xFFFFFFFF)" : "data chunk"
            let channels = format.channelCount == 1 ? "1 channel" : "\(format.channelCount) channels"
            throw DataError(path, "\(what) is \(dataSize) bytes, not a whole number of \(blockAlign)-byte frames (\(channels) of \(format.encoding))")
        }
        let count = dataSize / format.encoding.bytesPerSample
        let samples = try bytes.withUnsafeBytes { raw -> [Float] in
            let data = UnsafeRawBufferPointer(rebasing: raw[chunks.data])
            return try [Float](unsafeUninitializedCapacity: count) { output, initialized in
                try WAVFile.decode(data, encoding: format.encoding, into: output, channelCount: format.channelCount, path: path)
                initialized = count
            }
        }
        self.init(format: format, samples: samples)
    }

    /// The largest `Float` below 1: the top of the sample range.
    static let largestSample = Float(1).nextDown

    /// Converts `output.count` little-endian samples of `encoding` in `data` to `Float`s.
    static func decode(_ data: UnsafeRawBufferPointer, encoding: WAVSampleEncoding, into output: UnsafeMutableBufferPointer<Float>,
                       channelCount: Int, path: String) throws {
        let count = output.count
        func notFinite(_ value: String, _ index: Int) -> DataError {
            DataError(path, "sample of frame \(index / channelCount), channel \(index % channelCount) is \(value), not a finite number")
        }
        switch encoding {
        case .unsigned8:
            for i in 0..<count { output[i] = Float(Int(data[i]) - 128) * (1 / 128) }
        case .signed16:
            for i in 0..<count {
                output[i] = Float(Int16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) * (1 / 32768)
            }
        case .signed24:
            for i in 0..<count {
                let value = Int32(data[3 * i]) | Int32(data[3 * i + 1]) << 8 | Int32(Int8(bitPattern: data[3 * i + 2])) << 16
                output[i] = Float(value) * (1 / 8_388_608)
            }
        case .signed32:
            for i in 0..<count {
                let value = Int32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
                output[i] = min(Float(value) * (1 / 2_147_483_648), largestSample)
            }
        case .float32:
            for i in 0..<count {
                let value = Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                guard value.isFinite else { throw notFinite("\(value)", i) }
                output[i] = min(max(value, -1), largestSample)
            }
        case .float64:
            for i in 0..<count {
                let value = Double(bitPattern: UInt64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                guard value.isFinite else { throw notFinite("\(value)", i) }
                output[i] = min(Float(min(max(value, -1), 1)), largestSample)
            }
        }
    }

    /// The samples of channel `index` (0-based), one per frame.
    public func channel(_ index: Int) -> [Float] {
        precondition((0..<channelCount).contains(index), "WAVFile: channel \(index) of \(channelCount)")
        return stride(from: index, to: samples.count, by: channelCount).map { samples[$0] }
    }

    /// One sample per frame, the mean of its channels (the samples themselves for mono audio), still in
    /// [-1, 1).
    public var mono: [Float] {
        let channels = channelCount
        guard channels > 1 else { return samples }
        let scale = 1 / Float(channels)
        return (0..<frameCount).map { frame in
            var sum: Float = 0
            for channel in 0..<channels { sum += samples[frame * channels + channel] }
            return min(sum * scale, WAVFile.largestSample)
        }
    }

    /// The largest data chunk a WAV file can declare: its size field and the RIFF size (36 more) are
    /// UInt32s.
    public static let maximumDataSize = 0xFFFF_FFFF - 36

    /// The 16-bit PCM WAV encoding of this audio (see the type's comment). The data must fit a WAV file
    /// (2 · samples.count ≤ `maximumDataSize`); `write(to:)` checks that and throws instead.
    public var encoded: [UInt8] {
        let dataSize = 2 * samples.count
        precondition(dataSize <= WAVFile.maximumDataSize, "WAVFile: \(dataSize) bytes of samples do not fit a WAV file")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(44 + dataSize)
        func append(_ text: String) { bytes += Array(text.utf8) }
        func append32(_ value: Int) { for shift in [0, 8, 16, 24] { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
        func append16(_ value: Int) { for shift in [0, 8] { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
        append("RIFF"); append32(36 + dataSize); append("WAVE")
        append("fmt "); append32(16)
        append16(1); append16(channelCount); append32(sampleRate); append32(min(sampleRate * 2 * channelCount, 0xFFFF_FFFF))  // informational; may not fit
        append16(2 * channelCount); append16(16)
        append("data"); append32(dataSize)
        for sample in samples {
            let value = sample.isNaN ? 0 : Int(max(-32768, min(32767, (sample * 32768).rounded())))
            append16(value)
        }
        return bytes
    }

    /// Writes `encoded` to `path` atomically (`FileIO.writeAtomically`).
    public func write(to path: String) throws {
        guard 2 * samples.count <= WAVFile.maximumDataSize else {
            throw DataError(path, "\(frameCount) frames of \(channelCount) channels are more than a WAV file's 4 GiB of 16-bit samples")
        }
        try FileIO.writeAtomically(encoded, to: path)
    }
}
