import Testing
import VQData

@Suite struct ProceduralShapesTests {
    @Test func sameSeedSameImagesAndEveryClassAppears() {
        let first = ProceduralShapes.dataset(count: 300, seed: 4)
        let second = ProceduralShapes.dataset(count: 300, seed: 4)
        #expect(first.pixels == second.pixels && first.labels == second.labels)
        #expect(ProceduralShapes.dataset(count: 300, seed: 5).pixels != first.pixels)
        #expect(Set(first.labels) == Set(ProceduralShapes.Shape.allCases.map { Int32($0.rawValue) }))
        #expect(first.count == 300 && first.height == 28 && first.channels == 1)
    }

    /// Every image has a bright shape on a dark background: some pixels above 140 (colour ≥ 0.55·255),
    /// most below 11 (noise ≤ 0.04·255).
    @Test func imagesHaveAShapeOnADarkBackground() {
        let set = ProceduralShapes.dataset(count: 50, size: 32, channels: 3, seed: 1)
        let imageSize = 3 * 32 * 32
        for index in 0..<set.count {
            let image = set.pixels[index * imageSize..<(index + 1) * imageSize]
            #expect(image.contains { $0 > 140 })
            #expect(image.filter { $0 <= 11 }.count > imageSize / 2)
        }
    }

    /// Shape membership at a few points worked by hand (units of the radius).
    @Test func shapeMembership() {
        #expect(ProceduralShapes.contains(.disc, 0.7, 0.7) && !ProceduralShapes.contains(.disc, 0.8, 0.8))
        #expect(!ProceduralShapes.contains(.ring, 0, 0) && ProceduralShapes.contains(.ring, 0.9, 0))
        #expect(ProceduralShapes.contains(.cross, 0, 0.9) && !ProceduralShapes.contains(.cross, 0.5, 0.5))
        #expect(ProceduralShapes.contains(.bar, 0.9, 0) && !ProceduralShapes.contains(.bar, 0, 0.5))
    }
}
