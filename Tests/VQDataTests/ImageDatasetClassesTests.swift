import Testing
import VQData

@Suite struct ImageDatasetClassesTests {
    static let set = ImageDataset(pixels: [10, 11, 20, 21, 30, 31, 12, 13], labels: [1, 2, 3, 1], channels: 1, height: 1, width: 2)

    @Test func keepsTheImagesOfTheClassesInOrder() throws {
        let kept = try Self.set.restricted(toClasses: [1, 3], source: "d")
        #expect(kept.labels == [1, 3, 1] && kept.pixels == [10, 11, 30, 31, 12, 13])
        #expect(Self.set.knownClasses == [1, 2, 3])
        #expect(Self.set.prefix(2).labels == [1, 2] && Self.set.prefix(2).pixels == [10, 11, 20, 21])
        #expect(Self.set.prefix(9).count == 4)
    }

    @Test func unknownClassesAreOneLineNamingTheKnownOnes() {
        #expect(throws: DataError("d", "unknown class 7; the known classes are 1,2,3")) {
            _ = try Self.set.restricted(toClasses: [1, 7], source: "d")
        }
        #expect(throws: DataError("d", "unknown classes 0,9; the known classes are 1,2,3")) {
            try Self.set.checkClasses([0, 9], source: "d")
        }
        var named = Self.set
        named.classNames = ["zero", "one", "two", "three"]
        #expect(throws: DataError("d", "unknown class 0; the known classes are 1,2,3 (1 one, 2 two, 3 three)")) {
            try named.checkClasses([0], source: "d")
        }
        let unlabelled = ImageDataset(pixels: [1, 2], channels: 1, height: 1, width: 1)
        #expect(throws: DataError("u", "the images have no labels, so classes 0 cannot be picked")) {
            try unlabelled.checkClasses([0], source: "u")
        }
    }

    @Test func parsesClassLists() {
        #expect(ImageDataset.parseClasses("0,3") == [0, 3])
        #expect(ImageDataset.parseClasses(" 4 , 1") == [4, 1])
        for bad in ["", "0,,3", "a", "-1", "1,1", "0;3"] { #expect(ImageDataset.parseClasses(bad) == nil, "\(bad)") }
        #expect(ImageDataset.describe([0, 3]) == "0,3")
    }
}
