extension Spectrogram {
    /// Several clips' spectrograms as one RGB image, all on one dB scale so their colours compare:
    /// for example "original", "reconstruction", "as george", "as theo" side by side.
    ///
    /// Each clip is analysed at `sampleRate` with the default window and hop and drawn as a
    /// `panelWidth`×`panelHeight` picture with its title (`render`); the pictures are tiled
    /// `columns` to a row (default: all in one row) by `ImageGrid.tile`, 2 white pixels between and
    /// around them, so the image is columns·(panelWidth + 2) + 2 by rows·(panelHeight + 2) + 2.
    /// `scale` defaults to `DecibelScale(covering:range:)` over all the clips.
    public static func panels(_ clips: [(title: String, samples: [Float])], sampleRate: Int,
                              panelWidth: Int = 360, panelHeight: Int = 220, columns: Int? = nil,
                              range: Float = Spectrogram.defaultRange, scale: DecibelScale? = nil) -> RasterImage {
        precondition(!clips.isEmpty, "Spectrogram.panels: no clips")
        let images = renderedPanels([clips], sampleRate: sampleRate, panelWidth: panelWidth, panelHeight: panelHeight,
                                    range: range, scale: scale)[0]
        return ImageGrid.tile(images, columns: columns ?? clips.count)
    }

    /// A grid of panels, one row per clip (for example a clip's original, reconstruction and voice
    /// conversions), every panel on one dB scale over the whole grid. Rows may differ in length:
    /// shorter rows end in blank white panels. The image is c·(panelWidth + 2) + 2 by
    /// r·(panelHeight + 2) + 2 for r rows of at most c panels.
    public static func panelGrid(_ rows: [[(title: String, samples: [Float])]], sampleRate: Int,
                                 panelWidth: Int = 360, panelHeight: Int = 220,
                                 range: Float = Spectrogram.defaultRange, scale: DecibelScale? = nil) -> RasterImage {
        let columns = rows.map(\.count).max() ?? 0
        precondition(columns > 0, "Spectrogram.panelGrid: no clips")
        let blank = RasterImage(width: panelWidth, height: panelHeight, channels: 3, fill: 255)
        let images = renderedPanels(rows, sampleRate: sampleRate, panelWidth: panelWidth, panelHeight: panelHeight,
                                    range: range, scale: scale)
        return ImageGrid.tile(images.flatMap { $0 + Array(repeating: blank, count: columns - $0.count) }, columns: columns)
    }

    /// The panels of `rows`, each row's pictures in order, drawn on one scale.
    static func renderedPanels(_ rows: [[(title: String, samples: [Float])]], sampleRate: Int, panelWidth: Int,
                               panelHeight: Int, range: Float, scale: DecibelScale?) -> [[RasterImage]] {
        let spectrograms = rows.map { row in row.map { Spectrogram(samples: $0.samples, sampleRate: sampleRate) } }
        let scale = scale ?? DecibelScale(covering: spectrograms.flatMap { $0 }, range: range)
        return zip(rows, spectrograms).map { row, analysed in
            zip(row, analysed).map { clip, spectrogram in
                spectrogram.render(title: clip.title, width: panelWidth, height: panelHeight, scale: scale)
            }
        }
    }
}
