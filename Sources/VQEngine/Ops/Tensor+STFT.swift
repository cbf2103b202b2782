#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The magnitude of the short-time Fourier transform (PyTorch's `torch.stft(x, fftSize, hopSize, windowLength,
/// window: hann_window(windowLength), center: true, pad_mode: "constant", return_complex: true).abs()`),
/// built from differentiable ops: a 1-D convolution of the signal with the windowed DFT basis (stride
/// hopSize, zero padding fftSize/2 on both sides for `center`), then √(re² + im² + ε).
///
/// No fused kernel: the convolution runs on the GEMM kernels (about 2·fftSize² multiply-adds per frame
/// where an FFT would need O(fftSize·log fftSize)). Forward plus backward of 16 signals of 8000 samples at
/// fftSize 512, hop 128 took 13-18 ms (forward alone 3-8 ms) on two cores shared with other work, in a
/// release build; STFTMagnitudeTests' `timing` (VQ_TIMING=1) measures it.
extension Tensor {
    /// |STFT| of the signals `self`, (N, T) or (N, 1, T) → (N, fftSize/2 + 1, frames), frames = ⌊T / hopSize⌋ + 1
    /// for even fftSize (in general ⌊(T + 2·⌊fftSize/2⌋ − fftSize) / hopSize⌋ + 1, as `torch.stft` with center).
    ///
    /// The window is the periodic Hann window of `windowLength` (default fftSize) samples, centred in the
    /// frame when shorter, as PyTorch pads it. The magnitude is √(re² + im² + `epsilon`): with the default
    /// ε = 1e-7 the gradient stays finite where the spectrum is 0 (silence), at a cost of at most √ε ≈ 3.2e-4
    /// in the value; ε = 0 gives `abs()` exactly and an infinite gradient at 0. Builds the basis each call
    /// (a table of fftSize cosines, then one product per basis element); `stftMagnitude(basis:hopSize:epsilon:)`
    /// reuses one.
    public func stftMagnitude(fftSize: Int, hopSize: Int, windowLength: Int? = nil, epsilon: Float = 1e-7) -> Tensor {
        _ = checkShapes {
            try Tensor.stftMagnitudeShapes(input: shape, fftSize: fftSize, hopSize: hopSize, windowLength: windowLength ?? fftSize)
        }
        return stftMagnitude(basis: STFTBasis(fftSize: fftSize, windowLength: windowLength ?? fftSize), hopSize: hopSize,
                             epsilon: epsilon)
    }

    /// |STFT| of the signals `self`, (N, T) or (N, 1, T) → (N, basis.bins, frames), with a prepared basis;
    /// see `stftMagnitude(fftSize:hopSize:windowLength:epsilon:)`.
    public func stftMagnitude(basis: STFTBasis, hopSize: Int, epsilon: Float = 1e-7) -> Tensor {
        let geometry = checkShapes {
            try Tensor.stftMagnitudeShapes(input: shape, fftSize: basis.fftSize, hopSize: hopSize, windowLength: basis.windowLength)
        }
        precondition(epsilon >= 0, "stftMagnitude: epsilon \(epsilon) must not be negative")
        let signals = reshaped(to: [geometry.batch, 1, geometry.length])
        // The basis holds only the window's taps, which start `offset` samples into the frame: the frame
        // that starts at padded position t·hop reads the signal from t·hop − (fftSize/2 − offset).
        var spectrum = signals.conv1d(weight: basis.weight, stride: hopSize, padding: basis.fftSize / 2 - basis.offset)
        if spectrum.shape[2] != geometry.frames {  // an odd gap around the window reaches one frame further
            spectrum = spectrum.sliced(alongAxis: 2, 0..<geometry.frames)
        }
        let real = spectrum.sliced(alongAxis: 1, 0..<basis.bins)
        let imaginary = spectrum.sliced(alongAxis: 1, basis.bins..<(2 * basis.bins))
        let power = real.squared() + imaginary.squared()
        return (epsilon > 0 ? power + epsilon : power).sqrt()
    }

    /// Validates `stftMagnitude`'s signals (N, T) or (N, 1, T) and settings and returns the batch, the signal
    /// length, the number of frequency bins and of frames; throws a `ShapeError` naming `stftMagnitude`,
    /// the input's shape and the settings otherwise.
    public static func stftMagnitudeShapes(input: [Int], fftSize: Int, hopSize: Int, windowLength: Int) throws(ShapeError)
        -> (batch: Int, length: Int, bins: Int, frames: Int) {
        func error(_ reason: String) -> ShapeError {
            ShapeError("stftMagnitude", [input],
                       "\(reason) (fftSize \(fftSize), hopSize \(hopSize), windowLength \(windowLength))")
        }
        guard input.count == 2 || (input.count == 3 && input[1] == 1) else {
            throw error("the signals must be (N, T) or (N, 1, T)")
        }
        guard fftSize >= 1 else { throw error("fftSize must be positive") }
        guard hopSize >= 1 else { throw error("hopSize must be positive") }
        guard windowLength >= 1 && windowLength <= fftSize else { throw error("windowLength must lie in 1...fftSize") }
        let length = input[input.count - 1]
        guard length >= 1 else { throw error("the signals are empty") }
        let frames = (length + 2 * (fftSize / 2) - fftSize) / hopSize + 1
        return (input[0], length, fftSize / 2 + 1, frames)
    }
}

/// The weights of `stftMagnitude`'s convolution: for each frequency bin k < fftSize/2 + 1 the real part
/// w[j]·cos(2πk(offset + j)/fftSize) (rows 0..<bins) and the imaginary part −w[j]·sin(…) (rows
/// bins..<2·bins), over the window's taps j < windowLength only, where w is the periodic Hann window
/// 0.5 − 0.5·cos(2πj/windowLength) and offset = ⌊(fftSize − windowLength)/2⌋ its place in the frame.
/// Computed in `Double` from a table of fftSize cosines (phases reduced modulo fftSize exactly).
public struct STFTBasis {
    public let fftSize: Int
    public let windowLength: Int
    /// fftSize/2 + 1: the one-sided spectrum's bins.
    public var bins: Int { fftSize / 2 + 1 }
    /// Where the window starts in the frame.
    public var offset: Int { (fftSize - windowLength) / 2 }
    /// (2·bins, 1, windowLength): real parts, then imaginary parts.
    public let weight: Tensor

    /// The basis of one (fftSize, windowLength); stops if windowLength is not in 1...fftSize.
    public init(fftSize: Int, windowLength: Int) {
        precondition(fftSize >= 1 && windowLength >= 1 && windowLength <= fftSize,
                     "STFTBasis: windowLength \(windowLength) must lie in 1...fftSize (\(fftSize))")
        self.fftSize = fftSize
        self.windowLength = windowLength
        let bins = fftSize / 2 + 1, offset = (fftSize - windowLength) / 2
        let turn = 2 * Double.pi / Double(fftSize)
        let cosines = (0..<fftSize).map { cos(turn * Double($0)) }
        let sines = (0..<fftSize).map { sin(turn * Double($0)) }
        let window = (0..<windowLength).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(windowLength)) }
        var weight = Tensor.uninitialized([2 * bins, 1, windowLength])
        weight.withUnsafeMutableBufferPointer { scalars in
            for k in 0..<bins {
                var phase = (k * offset) % fftSize  // k·(offset + j) mod fftSize, stepped by k without a division
                for j in 0..<windowLength {
                    scalars[k * windowLength + j] = Float(window[j] * cosines[phase])
                    scalars[(bins + k) * windowLength + j] = Float(-window[j] * sines[phase])
                    phase += k
                    if phase >= fftSize { phase -= fftSize }
                }
            }
        }
        self.weight = weight
    }
}
