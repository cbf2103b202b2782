import Testing
import VQData

@Suite struct DrawingTests {
    @Test func colorBytesFollowTheChannelCount() {
        let color = RasterColor(red: 10, green: 20, blue: 33)
        #expect(color.bytes(channels: 1) == [21])
        #expect(color.bytes(channels: 2) == [21, 255])
        #expect(color.bytes(channels: 3) == [10, 20, 33])
        #expect(color.bytes(channels: 4) == [10, 20, 33, 255])
    }

    @Test func setPixelWritesOnePixelAndClipsOutside() {
        var image = RasterImage(width: 3, height: 2, channels: 3, fill: 0)
        image.setPixel(x: 2, y: 1, .orange)
        image.setPixel(x: -1, y: 0, .white)
        image.setPixel(x: 3, y: 0, .white)
        #expect(image.pixel(x: 2, y: 1) == [230, 159, 0])
        #expect(image.pixels.filter { $0 != 0 }.count == 2)  // 230 and 159; blue is 0
    }

    @Test func fillRectangleCoversExactlyItsPixelsClippedToTheImage() {
        var image = RasterImage(width: 5, height: 4, channels: 1, fill: 0)
        image.fillRectangle(x: 3, y: 2, width: 5, height: 5, .white)
        for y in 0..<4 {
            for x in 0..<5 { #expect(image.pixel(x: x, y: y) == [x >= 3 && y >= 2 ? 255 : 0]) }
        }
    }

    @Test func linesLightTheExpectedPixels() {
        var image = RasterImage(width: 5, height: 5, channels: 1, fill: 0)
        image.drawLine(fromX: 0, y: 0, toX: 4, y: 4, .white)   // the diagonal
        image.drawLine(fromX: 4, y: 0, toX: 0, y: 0, .white)   // the top row, drawn right to left
        let lit = (0..<25).filter { image.pixels[$0] == 255 }.map { ($0 % 5, $0 / 5) }
        #expect(lit.map { "\($0.0),\($0.1)" } == ["0,0", "1,0", "2,0", "3,0", "4,0", "1,1", "2,2", "3,3", "4,4"])
        // A shallow line steps one pixel along x each time and moves y at the midpoint: (0,0)…(4,2).
        var shallow = RasterImage(width: 5, height: 3, channels: 1, fill: 0)
        shallow.drawLine(fromX: 0, y: 0, toX: 4, y: 2, .white)
        let rows = (0..<5).map { x in (0..<3).first { shallow.pixel(x: x, y: $0) == [255] }! }
        #expect(rows == [0, 0, 1, 1, 2] || rows == [0, 1, 1, 2, 2])
        #expect(shallow.pixels.filter { $0 == 255 }.count == 5)
    }

    @Test func textDrawsTheGlyphsPixelByPixel() {
        var image = RasterImage(width: 7, height: 5, channels: 1, fill: 0)
        image.drawText("1a", x: 0, y: 0, .white)
        let rendered = (0..<5).map { y in String((0..<7).map { image.pixel(x: $0, y: y) == [255] ? "#" : "." }) }
        #expect(rendered == [
            ".#...#.",
            "##..#.#",
            ".#..###",
            ".#..#.#",
            "###.#.#",
        ])
        #expect(BitmapFont.width(of: "1a") == 7 && BitmapFont.width(of: "1a", scale: 2) == 14)
    }

    @Test func scaledTextUsesSquaresAndUnknownCharactersDrawAsQuestionMarks() {
        var image = RasterImage(width: 6, height: 10, channels: 1, fill: 0)
        image.drawText("-", x: 0, y: 0, scale: 2, .white)
        // "-" lights the middle row (font row 2), i.e. image rows 4 and 5, all 6 columns.
        for y in 0..<10 { #expect((0..<6).allSatisfy { image.pixel(x: $0, y: y) == [y == 4 || y == 5 ? 255 : 0] }) }
        #expect(BitmapFont.glyph("~") == BitmapFont.glyph("?"))
    }
}
