import Testing
@testable import VQData

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
