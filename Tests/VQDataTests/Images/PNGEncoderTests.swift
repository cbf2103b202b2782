import Testing
@testable import VQData
import VQEngine

@Suite struct PNGEncoderTests {
    @Test func fileStartsWithSignatureAndHeaderAndEndsWithTheStandardIENDChunk() {
        let image = RasterImage(width: 3, height: 2, channels: 3, pixels: Array(0..<18))
        let file = PNGEncoder.encode(image)
        #expect(Array(file[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: length 13, "IHDR", width 3, height 2, depth 8, colour type 2 (RGB).
        #expect(Array(file[8..<16]) == [0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
        #expect(Array(file[16..<29]) == [0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0])
        // Every PNG ends with the same 12 bytes: empty IEND whose CRC is AE 42 60 82 (PNG specification).
        #expect(Array(file.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
    }

    @Test func rowsAreFilteredWithNoneOrUpAndUndoBackToThePixels() {
        let pixels: [UInt8] = (0..<(8 * 5)).map { UInt8(($0 * 37) % 256) }
        let image = RasterImage(width: 8, height: 5, channels: 1, pixels: pixels)
        let rows = PNGEncoder.filteredRows(image)
        #expect(rows.count == 5 * 9)
        var previous = [UInt8](repeating: 0, count: 8)
        for row in 0..<5 {
            let filter = rows[row * 9]
            let data = Array(rows[(row * 9 + 1)..<(row * 9 + 9)])
            #expect(filter == 0 || filter == 2)
            let restored = filter == 2 ? zip(data, previous).map { $0 &+ $1 } : data
            #expect(restored == Array(pixels[(row * 8)..<(row * 8 + 8)]))
            previous = restored
        }
    }

    @Test func crcMatchesTheKnownValueForIEND() {
        // The CRC-32 of the four bytes "IEND", as printed in every PNG file.
        #expect(PNGEncoder.crc32Checksum(Array("IEND".utf8)) == 0xAE42_6082)
    }
}

@Suite struct ImageGridTests {
    @Test func batchValuesMapBackToTheBytesTheyCameFrom() {
        // ImageDataset.batch maps byte b to b/255 − 0.5; images(fromBatch:) must invert it exactly.
        let dataset = ImageDataset(pixels: (0..<8).map { UInt8($0 * 36) } + [0, 255, 7, 9, 100, 101, 1, 254],
                                   channels: 1, height: 2, width: 4)
        let images = ImageGrid.images(fromBatch: dataset.batch([0, 1]))
        #expect(images.map(\.pixels) == [(0..<8).map { UInt8($0 * 36) }, [0, 255, 7, 9, 100, 101, 1, 254]])
        #expect(ImageGrid.byte(-3) == 0 && ImageGrid.byte(2) == 255 && ImageGrid.byte(.nan) == 0)
    }

    @Test func channelsAreInterleavedFromPlanes() {
        // (1, 3, 1, 2): R plane [a, b], G plane [c, d], B plane [e, f] → pixels a c e b d f.
        let batch = Tensor(shape: [1, 3, 1, 2], scalars: [0, 1, 2, 3, 4, 5].map { Float($0) / 255 - 0.5 })
        #expect(ImageGrid.images(fromBatch: batch)[0].pixels == [0, 2, 4, 1, 3, 5])
    }

    @Test func tilePlacesImagesRowByRowWithPadding() {
        let images = (1...3).map { RasterImage(width: 2, height: 1, channels: 1, fill: UInt8($0)) }
        let grid = ImageGrid.tile(images, columns: 2, padding: 1, background: 0)
        // 2 columns of width 2 with padding 1: 1+2+1+2+1 = 7 wide; 2 rows of height 1: 1+1+1+1+1 = 5 high.
        #expect(grid.width == 7 && grid.height == 5)
        #expect(Array(grid.pixels[7..<14]) == [0, 1, 1, 0, 2, 2, 0])
        #expect(Array(grid.pixels[21..<28]) == [0, 3, 3, 0, 0, 0, 0])
    }
}
