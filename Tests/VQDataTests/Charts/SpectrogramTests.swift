#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import VQData

@Suite struct SpectrogramTests {
    /// `seconds` of a sine at `hertz` with amplitude `amplitude`, then `silence` seconds of zeros.
    static func tone(hertz: Double, amplitude: Float, seconds: Double, silence: Double = 0, sampleRate: Int = 8000) -> [Float] {
        let count = Int(seconds * Double(sampleRate))
        return (0..<count).map { amplitude * Float(sin(2 * Double.pi * hertz * Double($0) / Double(sampleRate))) }
            + [Float](repeating: 0, count: Int(silence * Double(sampleRate)))
    }

    /// The colour-map level of a pixel: its index in the viridis table.
    static func level(_ image: RasterImage, x: Int, y: Int) -> Int? {
        let bytes = image.pixel(x: x, y: y)
        return ColorMap.viridis.table.firstIndex { [$0.red, $0.green, $0.blue] == bytes }
    }

    @Test func sizesFollowTheSampleRate() {
        let eight = Spectrogram(samples: [Float](repeating: 0, count: 16000), sampleRate: 8000)
        #expect(eight.windowLength == 256 && eight.hopLength == 64 && eight.fftLength == 256 && eight.binCount == 129)
        #expect(eight.frameCount == 251 && eight.time(ofFrame: 250) == 2 && eight.frequency(ofBin: 128) == 4000)
        #expect(eight.maximumDecibels == Spectrogram.floorDecibels && eight.decibels.allSatisfy { $0 == Spectrogram.floorDecibels })
        let wide = Spectrogram(samples: [0.5], sampleRate: 22050)
        #expect(wide.windowLength == 706 && wide.hopLength == 176 && wide.fftLength == 1024 && wide.frameCount == 1)
    }

    /// The fast transform against the definition, in `Double`, on a frame in the middle of a chirp.
    @Test func levelsMatchADirectFourierTransform() {
        let rate = 8000
        let samples = (0..<4000).map { index -> Float in
            let time = Double(index) / Double(rate)
            return Float(0.3 * sin(2 * Double.pi * (300 + 900 * time) * time) + 0.05 * cos(2 * Double.pi * 2750 * time))
        }
        let spectrogram = Spectrogram(samples: samples, sampleRate: rate)
        let (window, hop) = (spectrogram.windowLength, spectrogram.hopLength)
        let hann = (0..<window).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(window)) }
        let gain = 2 / hann.reduce(0, +)
        for frame in [0, 17, 62] {
            for bin in 0..<spectrogram.binCount {
                var (real, imaginary) = (0.0, 0.0)
                for index in 0..<window {
                    let sample = frame * hop - window / 2 + index
                    guard sample >= 0 && sample < samples.count else { continue }
                    let value = Double(samples[sample]) * hann[index]
                    let angle = -2 * Double.pi * Double(bin * index) / Double(spectrogram.fftLength)
                    real += value * cos(angle)
                    imaginary += value * sin(angle)
                }
                let expected = 10 * log10(max((real * real + imaginary * imaginary) * gain * gain, 1e-20))
                // Float rounding is about 10⁻⁷ of the peak: compare the bins within 60 dB of it.
                guard expected > Double(spectrogram.maximumDecibels) - 60 else { continue }
                #expect(abs(Double(spectrogram.level(frame: frame, bin: bin)) - expected) < 0.01, "frame \(frame) bin \(bin)")
            }
        }
    }

    @Test func aToneLightsItsRowAndSilenceIsTheLowestColour() throws {
        // 1 kHz is bin 32 at 8 kHz (31.25 Hz bins); 0.5 of full scale reads −6 dB.
        let spectrogram = Spectrogram(samples: Self.tone(hertz: 1000, amplitude: 0.5, seconds: 1, silence: 1), sampleRate: 8000)
        #expect(abs(spectrogram.maximumDecibels - 20 * log10f(0.5)) < 0.01)
        let image = spectrogram.render(title: "tone", width: 400, height: 240)
        #expect(image.width == 400 && image.height == 240 && image.channels == 3)
        let frame = spectrogram.frame(width: 400, height: 240)
        let toneRow = frame.pixelY(1000)
        let plotRows = frame.plotTop..<(frame.plotTop + frame.plotHeight)
        let brightest = ColorMap.viridis.table.last!
        for time in stride(from: 0.1, through: 0.8, by: 0.05) {
            let x = frame.pixelX(time)
            let levels = try plotRows.map { try #require(Self.level(image, x: x, y: $0)) }
            let top = levels.max()!
            let brightestRows = plotRows.filter { levels[$0 - frame.plotTop] == top }
            #expect(top == 255 && image.pixel(x: x, y: toneRow) == [brightest.red, brightest.green, brightest.blue])
            // One bin is 189 / 128 rows high: the rows showing it are the tone's row and its neighbours.
            #expect(brightestRows.allSatisfy { abs($0 - toneRow) <= 1 }, "t = \(time): \(brightestRows) vs \(toneRow)")
            #expect(levels[frame.pixelY(2500) - frame.plotTop] < 128)
        }
        // Frames whose window lies wholly after the tone are silent: every pixel is the lowest colour.
        let darkest = ColorMap.viridis.table[0]
        for x in frame.pixelX(1.05)..<(frame.plotLeft + frame.plotWidth) {
            for y in plotRows {
                #expect(image.pixel(x: x, y: y) == [darkest.red, darkest.green, darkest.blue], "(\(x), \(y))")
            }
        }
    }

    @Test func colorBarRunsFromTheLowestToTheHighestColourWhenItFits() throws {
        let spectrogram = Spectrogram(samples: Self.tone(hertz: 500, amplitude: 0.9, seconds: 0.5), sampleRate: 8000)
        let image = spectrogram.render(title: "", width: 400, height: 200)
        let layout = spectrogram.layout(width: 400, height: 200)
        let left = try #require(layout.colorBarLeft)
        #expect(left > layout.frame.plotLeft + layout.frame.plotWidth)
        #expect(Self.level(image, x: left + 3, y: layout.frame.plotTop) == 255)
        #expect(Self.level(image, x: left + 3, y: layout.frame.plotTop + layout.frame.plotHeight - 1) == 0)
        let narrow = spectrogram.layout(width: 150, height: 200)
        #expect(narrow.colorBarLeft == nil && narrow.frame == spectrogram.frame(width: 150, height: 200, colorBar: false))
    }

    @Test func sameInputSamePixels() {
        let clip = Self.tone(hertz: 440, amplitude: 0.3, seconds: 0.7, silence: 0.2).enumerated().map { $0.element + Float($0.offset % 7) * 1e-3 }
        let first = Spectrogram(samples: clip, sampleRate: 8000).render(title: "again", width: 320, height: 200)
        let second = Spectrogram(samples: clip, sampleRate: 8000).render(title: "again", width: 320, height: 200)
        #expect(first == second)
    }
}
