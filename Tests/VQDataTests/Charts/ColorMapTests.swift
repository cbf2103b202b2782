import Testing
import VQData

@Suite struct ColorMapTests {
    @Test func colorMapEndsAreTheTablesAnchors() {
        let map = ColorMap.viridis
        #expect(map.anchors.count == 17)
        #expect(map.color(at: 0) == RasterColor(red: 68, green: 1, blue: 84) && map.color(at: 0) == map.anchors.first)
        #expect(map.color(at: 1) == RasterColor(red: 253, green: 231, blue: 37) && map.color(at: 1) == map.anchors.last)
        #expect(map.table.count == 256 && map.table.first == map.anchors.first && map.table.last == map.anchors.last)
        #expect(map.color(at: -3) == map.anchors.first && map.color(at: 7) == map.anchors.last && map.color(at: .nan) == map.anchors.first)
        #expect(map.color(at: 1.0 / 16) == map.anchors[1] && map.color(at: 0.5) == map.anchors[8])
        #expect(map.level(of: 0) == 0 && map.level(of: 1) == 255 && map.level(of: .nan) == 0 && map.level(of: 0.75) == 191)
    }
}
