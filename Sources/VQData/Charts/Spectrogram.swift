#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The log-magnitude spectrogram of a mono clip, and its picture: time in seconds across, frequency in
/// Hz (0 to Nyquist) upwards, level in dB as a colour (`ColorMap.viridis`), with a colour bar.
///
/// Analysis (short-time Fourier transform):
/// - windows of 32 ms (`windowLength(forSampleRate:)`: 256 samples at 8 kHz, 512 at 16 kHz), periodic
///   Hann, hop a quarter window (75% overlap: 8 ms, 64 samples at 8 kHz);
/// - frame i is centred on sample i·hop (its window starts at i·hop − window/2; samples outside the
///   clip are zeros), so frames 0 ... sampleCount / hop cover 0 ... duration;
/// - each window is zero-padded to `fftLength`, the power of two at or above it, giving
///   fftLength / 2 + 1 bins from 0 Hz to Nyquist, bin k at k·sampleRate / fftLength Hz;
/// - level = 20·log₁₀(|X[k]| · 2 / Σ window), so a full-scale sine (amplitude 1) centred on a bin reads
///   0 dB (dB relative to full scale); silence reads `floorDecibels` (−200 dB) instead of −∞.
///
/// A 2-second clip at 8 kHz is 251 frames × 129 bins.
public struct Spectrogram: Sendable {
    public let sampleRate: Int
    /// Samples in the clip analysed.
    public let sampleCount: Int
    public let windowLength: Int
    public let hopLength: Int
    public let fftLength: Int
    public let frameCount: Int
    /// (frameCount, binCount), row-major: the level of bin k in frame i at i·binCount + k, in dB.
    public let decibels: [Float]
    /// The largest level (`floorDecibels` for silence).
    public let maximumDecibels: Float

    /// The level of a bin with no energy at all (a power floor of 10⁻²⁰).
    public static let floorDecibels: Float = -200
    /// The span of levels a picture shows by default, down from its top.
    public static let defaultRange: Float = 80

    public var binCount: Int { fftLength / 2 + 1 }
    /// The clip's length in seconds.
    public var duration: Double { Double(sampleCount) / Double(sampleRate) }
    public var nyquist: Double { Double(sampleRate) / 2 }
    /// The centre frequency of bin k in Hz.
    public func frequency(ofBin bin: Int) -> Double { Double(bin) * Double(sampleRate) / Double(fftLength) }
    /// The time in seconds frame i is centred on.
    public func time(ofFrame frame: Int) -> Double { Double(frame * hopLength) / Double(sampleRate) }
    /// The level of `bin` in `frame`, in dB.
    public func level(frame: Int, bin: Int) -> Float { decibels[frame * binCount + bin] }

    /// 32 ms of samples at `sampleRate` (at least 4).
    public static func windowLength(forSampleRate sampleRate: Int) -> Int {
        max(4, Int((0.032 * Double(sampleRate)).rounded()))
    }

    /// Analyses `samples` (mono, any scale; full scale is ±1) at `sampleRate` Hz. `windowLength`
    /// defaults to 32 ms and `hopLength` to a quarter of the window.
    public init(samples: [Float], sampleRate: Int, windowLength: Int? = nil, hopLength: Int? = nil) {
        precondition(sampleRate > 0, "Spectrogram: sample rate \(sampleRate)")
        let window = windowLength ?? Spectrogram.windowLength(forSampleRate: sampleRate)
        let hop = hopLength ?? max(1, window / 4)
        precondition(window >= 2 && hop >= 1, "Spectrogram: window \(window), hop \(hop)")
        var fftLength = 2
        while fftLength < window { fftLength *= 2 }
        self.sampleRate = sampleRate
        self.sampleCount = samples.count
        self.windowLength = window
        self.hopLength = hop
        self.fftLength = fftLength
        frameCount = samples.count / hop + 1

        let hann = (0..<window).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(window))) }
        let gain = 2 / hann.reduce(0, +)
        let transform = FourierTransform(length: fftLength)
        let bins = fftLength / 2 + 1
        var levels = [Float](repeating: Spectrogram.floorDecibels, count: frameCount * bins)
        var real = [Float](repeating: 0, count: fftLength), imaginary = real
        var maximum = Spectrogram.floorDecibels
        for frame in 0..<frameCount {
            let start = frame * hop - window / 2
            var silent = true
            for index in 0..<fftLength {
                let sample = start + index
                let value = index < window && sample >= 0 && sample < samples.count ? samples[sample] * hann[index] : 0
                real[index] = value
                imaginary[index] = 0
                if value != 0 { silent = false }
            }
            if silent { continue }
            real.withUnsafeMutableBufferPointer { real in
                imaginary.withUnsafeMutableBufferPointer { imaginary in
                    transform.transform(real: real.baseAddress!, imaginary: imaginary.baseAddress!)
                }
            }
            for bin in 0..<bins {
                let power = (real[bin] * real[bin] + imaginary[bin] * imaginary[bin]) * gain * gain
                let level = 10 * log10f(max(power, 1e-20))
                levels[frame * bins + bin] = level
                if level > maximum { maximum = level }
            }
        }
        decibels = levels
        maximumDecibels = maximum
    }
}

// MARK: - The picture

extension Spectrogram {
    /// Which levels a picture shows: `top` down to `top − range` spread over the colour map; anything
    /// quieter gets the lowest colour, anything louder the highest. Panels drawn with one scale compare.
    public struct DecibelScale: Equatable, Sendable {
        public var top: Float
        public var range: Float
        public var bottom: Float { top - range }

        public init(top: Float, range: Float = Spectrogram.defaultRange) {
            precondition(range > 0, "Spectrogram.DecibelScale: range \(range)")
            self.top = top
            self.range = range
        }

        /// A scale reaching up to the loudest of `spectrograms`, but never below `floorDecibels + range`,
        /// so silence always shows as the lowest colour, even in a silent clip.
        public init(covering spectrograms: [Spectrogram], range: Float = Spectrogram.defaultRange) {
            let loudest = spectrograms.map(\.maximumDecibels).max() ?? Spectrogram.floorDecibels
            self.init(top: max(loudest, Spectrogram.floorDecibels + range), range: range)
        }

        /// Where `level` sits on the colour map: 0 at `bottom`, 1 at `top`, clamped (NaN is 0).
        public func fraction(_ level: Float) -> Double {
            let value = Double((level - bottom) / range)
            return value > 0 ? min(value, 1) : 0
        }
    }

    /// Columns the colour bar takes at the right of a picture: the strip, a gap, dB labels of up to 4
    /// characters and a margin.
    static let colorBarWidth = colorBarStripWidth + 4 + BitmapFont.width(of: "-000", scale: ChartFrame.labelScale) + 4
    static let colorBarStripWidth = 10

    /// The picture's frame in a `width`×`height` image, and the colour bar's left column if it has one:
    /// x from 0 to `duration` seconds, y from 0 Hz to Nyquist with ticks every 1, 2 or 5 × 10ⁿ Hz. With
    /// `colorBar`, the frame is narrowed by `colorBarWidth` when that leaves a plot at least 80 pixels
    /// wide; otherwise the bar is left out.
    public func layout(width: Int, height: Int, colorBar: Bool = true) -> (frame: ChartFrame, colorBarLeft: Int?) {
        let ticks = ChartFrame.linearTicks(low: 0, high: nyquist).filter { $0 <= nyquist }
        func frame(_ frameWidth: Int) -> ChartFrame {
            ChartFrame(width: frameWidth, height: height, xRange: 0...duration, yRange: 0...nyquist, logarithmicY: false, yTicks: ticks)
        }
        if colorBar {
            let narrowed = frame(width - Spectrogram.colorBarWidth)
            if narrowed.plotWidth >= 80 { return (narrowed, width - Spectrogram.colorBarWidth) }
        }
        return (frame(width), nil)
    }

    /// The picture's frame in a `width`×`height` image (`layout(width:height:colorBar:)`'s).
    public func frame(width: Int, height: Int, colorBar: Bool = true) -> ChartFrame {
        layout(width: width, height: height, colorBar: colorBar).frame
    }

    /// The spectrogram as a `width`×`height` RGB image on white: `title` centred above, frequency ticks
    /// (Hz) on the left, time ticks (s) below, and, when it fits (`layout`), a colour bar with dB labels
    /// on the right.
    ///
    /// A plot pixel shows the loudest (frame, bin) whose centre maps to it through `frame`'s
    /// `pixelX`/`pixelY`; a pixel no centre maps to (when the plot has more pixels than frames or bins)
    /// shows the nearest frame and bin. So peaks survive when there are more bins than rows, and a tone
    /// on bin k lights row `pixelY(frequency(ofBin: k))`. `scale` defaults to this clip's own
    /// (`DecibelScale(covering: [self])`).
    public func render(title: String, width: Int, height: Int, scale: DecibelScale? = nil,
                       colorMap: ColorMap = .viridis, colorBar: Bool = true) -> RasterImage {
        let scale = scale ?? DecibelScale(covering: [self])
        let (frame, colorBarLeft) = layout(width: width, height: height, colorBar: colorBar)
        var image = RasterImage(width: width, height: height, channels: 3, fill: 255)
        let textScale = ChartFrame.labelScale
        let durationLabel = ChartFrame.label((duration * 100).rounded() / 100) + " S"
        frame.drawAxes(on: &image, title: "", xLabels: ("0", durationLabel))
        // The title is centred over the plot, clear of the "HZ" over the frequency labels.
        let titleWidth = BitmapFont.width(of: title, scale: textScale)
        image.drawText(title, x: frame.plotLeft + max(0, (frame.plotWidth - titleWidth) / 2), y: 6, scale: textScale, .black)
        image.drawText("HZ", x: frame.plotLeft - 6 - BitmapFont.width(of: "HZ", scale: textScale), y: 6, scale: textScale, .darkGray)
        for tick in frame.yTicks {
            image.drawLine(fromX: frame.plotLeft - 4, y: frame.pixelY(tick), toX: frame.plotLeft - 2, y: frame.pixelY(tick), .black)
        }
        drawTimeTicks(on: &image, frame: frame, lastLabel: durationLabel)
        drawLevels(on: &image, frame: frame, scale: scale, colorMap: colorMap)
        if let colorBarLeft {
            drawColorBar(on: &image, frame: frame, left: colorBarLeft, scale: scale, colorMap: colorMap)
        }
        return image
    }

    /// Tick marks under the x axis at round numbers of seconds, labelled where the label clears the
    /// end labels and the previous one.
    func drawTimeTicks(on image: inout RasterImage, frame: ChartFrame, lastLabel: String) {
        let textScale = ChartFrame.labelScale
        let axis = frame.plotTop + frame.plotHeight
        var occupiedUpTo = frame.plotLeft + BitmapFont.width(of: "0", scale: textScale)
        let lastStart = frame.plotLeft + frame.plotWidth - BitmapFont.width(of: lastLabel, scale: textScale)
        for tick in ChartFrame.linearTicks(low: 0, high: duration) where tick > 0 && tick < duration {
            let x = frame.pixelX(tick)
            image.drawLine(fromX: x, y: axis + 1, toX: x, y: axis + 3, .black)
            let text = ChartFrame.label(tick)
            let left = x - BitmapFont.width(of: text, scale: textScale) / 2
            let right = left + BitmapFont.width(of: text, scale: textScale)
            guard left >= occupiedUpTo + 8 && right + 8 <= lastStart else { continue }
            image.drawText(text, x: left, y: axis + 6, scale: textScale, .darkGray)
            occupiedUpTo = right
        }
    }

    /// For each plot pixel along one axis, the range of items (frames or bins) it shows: those whose
    /// centre maps to it, else the one nearest to it.
    static func itemRanges(pixelCount: Int, itemCount: Int, pixelOfItem: (Int) -> Int, nearestItem: (Int) -> Int) -> [ClosedRange<Int>] {
        var low = [Int](repeating: Int.max, count: pixelCount), high = [Int](repeating: Int.min, count: pixelCount)
        for item in 0..<itemCount {
            let pixel = pixelOfItem(item)
            guard pixel >= 0 && pixel < pixelCount else { continue }
            low[pixel] = min(low[pixel], item)
            high[pixel] = max(high[pixel], item)
        }
        return (0..<pixelCount).map { pixel in
            if low[pixel] <= high[pixel] { return low[pixel]...high[pixel] }
            let item = min(max(nearestItem(pixel), 0), itemCount - 1)
            return item...item
        }
    }

    func drawLevels(on image: inout RasterImage, frame: ChartFrame, scale: DecibelScale, colorMap: ColorMap) {
        let (width, height) = (frame.plotWidth, frame.plotHeight)
        let columns = Spectrogram.itemRanges(
            pixelCount: width, itemCount: frameCount, pixelOfItem: { frame.pixelX(time(ofFrame: $0)) - frame.plotLeft },
            nearestItem: { column in
                let time = width > 1 ? Double(column) / Double(width - 1) * duration : duration / 2
                return Int((time * Double(sampleRate) / Double(hopLength)).rounded())
            })
        // Rows count from the top of the plot area; row `height − 1` is 0 Hz.
        let rows = Spectrogram.itemRanges(
            pixelCount: height, itemCount: binCount, pixelOfItem: { frame.pixelY(frequency(ofBin: $0)) - frame.plotTop },
            nearestItem: { row in
                let hertz = height > 1 ? Double(height - 1 - row) / Double(height - 1) * nyquist : nyquist / 2
                return Int((hertz * Double(fftLength) / Double(sampleRate)).rounded())
            })
        let palette = colorMap.table.flatMap { [$0.red, $0.green, $0.blue] }
        let bins = binCount
        var columnLevels = [Float](repeating: 0, count: bins)
        decibels.withUnsafeBufferPointer { levels in
            image.pixels.withUnsafeMutableBufferPointer { pixels in
                for column in 0..<width {
                    let frames = columns[column]
                    for bin in 0..<bins { columnLevels[bin] = levels[frames.lowerBound * bins + bin] }
                    for frameIndex in frames.dropFirst() {
                        for bin in 0..<bins { columnLevels[bin] = max(columnLevels[bin], levels[frameIndex * bins + bin]) }
                    }
                    for row in 0..<height {
                        var loudest = -Float.infinity
                        for bin in rows[row] { loudest = max(loudest, columnLevels[bin]) }
                        let level = colorMap.level(of: scale.fraction(loudest))
                        let offset = ((frame.plotTop + row) * image.width + frame.plotLeft + column) * 3
                        pixels[offset] = palette[3 * level]
                        pixels[offset + 1] = palette[3 * level + 1]
                        pixels[offset + 2] = palette[3 * level + 2]
                    }
                }
            }
        }
    }

    /// A vertical strip of the colour map beside the plot area (lowest colour at the bottom), "DB"
    /// above it and level labels at round numbers of dB.
    func drawColorBar(on image: inout RasterImage, frame: ChartFrame, left: Int, scale: DecibelScale, colorMap: ColorMap) {
        let textScale = ChartFrame.labelScale
        let (top, height) = (frame.plotTop, frame.plotHeight)
        for row in 0..<height {
            let fraction = height > 1 ? Double(height - 1 - row) / Double(height - 1) : 1
            image.fillRectangle(x: left, y: top + row, width: Spectrogram.colorBarStripWidth, height: 1, colorMap.table[colorMap.level(of: fraction)])
        }
        image.drawText("DB", x: left, y: 6, scale: textScale, .darkGray)
        let textHeight = BitmapFont.glyphHeight * textScale
        var previousTop = Int.max
        for tick in ChartFrame.linearTicks(low: Double(scale.bottom), high: Double(scale.top)).reversed()
        where tick >= Double(scale.bottom) && tick <= Double(scale.top) {
            let row = top + height - 1 - Int((scale.fraction(Float(tick)) * Double(height - 1)).rounded())
            let textTop = row - textHeight / 2
            // Ticks come loudest first (top down); skip a label that would touch the one above it.
            if previousTop != Int.max && textTop < previousTop + textHeight + 2 { continue }
            image.drawLine(fromX: left + Spectrogram.colorBarStripWidth, y: row, toX: left + Spectrogram.colorBarStripWidth + 2, y: row, .black)
            image.drawText(ChartFrame.label(tick), x: left + Spectrogram.colorBarStripWidth + 4, y: textTop, scale: textScale, .darkGray)
            previousTop = textTop
        }
    }
}
