import Testing
import VQData

@Suite struct SpectrogramPanelsTests {
    @Test func panelsShareOneScaleAndTileToTheExpectedSize() throws {
        let loud = SpectrogramTests.tone(hertz: 1000, amplitude: 0.5, seconds: 1)
        let quiet = loud.map { $0 / 10 }
        let panels = Spectrogram.panels([("original", loud), ("reconstruction", quiet), ("as george", loud)],
                                        sampleRate: 8000, panelWidth: 300, panelHeight: 160)
        #expect(panels.width == 3 * 302 + 2 && panels.height == 164)
        // On the shared scale the quiet copy (20 dB down of 80) shows at 3/4 of the map, not at its top.
        let frame = Spectrogram(samples: quiet, sampleRate: 8000).frame(width: 300, height: 160)
        let (x, y) = (frame.pixelX(0.5), frame.pixelY(1000))
        #expect(SpectrogramTests.level(panels, x: 2 + x, y: 2 + y) == 255)
        #expect(SpectrogramTests.level(panels, x: 2 + 302 + x, y: 2 + y) == 191)
        let alone = Spectrogram(samples: quiet, sampleRate: 8000).render(title: "reconstruction", width: 300, height: 160)
        #expect(SpectrogramTests.level(alone, x: x, y: y) == 255)

        let stacked = Spectrogram.panels([("a", loud), ("b", quiet)], sampleRate: 8000, panelWidth: 300, panelHeight: 160, columns: 1)
        #expect(stacked.width == 302 + 2 && stacked.height == 2 * 162 + 2)

        let grid = Spectrogram.panelGrid([[("original", loud), ("reconstruction", quiet)], [("original", quiet)]],
                                         sampleRate: 8000, panelWidth: 300, panelHeight: 160)
        #expect(grid.width == 2 * 302 + 2 && grid.height == 2 * 162 + 2)
        // The second row's missing panel is blank white; its first panel is on the grid's scale.
        #expect(grid.pixel(x: 2 + 302 + 150, y: 2 + 162 + 80) == [255, 255, 255])
        #expect(SpectrogramTests.level(grid, x: 2 + x, y: 2 + 162 + y) == 191)
    }

    @Test func samePanelsSamePixels() {
        let clip = SpectrogramTests.tone(hertz: 440, amplitude: 0.3, seconds: 0.7, silence: 0.2)
        let panels = { Spectrogram.panels([("a", clip), ("b", clip.reversed())], sampleRate: 8000, panelWidth: 250, panelHeight: 150) }
        #expect(panels() == panels())
    }
}
