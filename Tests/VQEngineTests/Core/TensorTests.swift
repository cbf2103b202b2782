import Testing
import VQEngine

@Suite struct TensorTests {
    @Test func copiesAreIndependentValues() {
        let original = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        var copy = original
        copy[flat: 0] = 10
        #expect(original.scalars == [1, 2, 3, 4])
        #expect(copy.scalars == [10, 2, 3, 4])
    }

    @Test func shapesAndCounts() {
        let t = Tensor(zeros: [2, 3, 0])
        #expect(t.count == 0 && t.rank == 3)
        #expect(Tensor(3).shape == [] && Tensor(3).item == 3)
        #expect(Tensor(repeating: 2, shape: [4]).scalars == [2, 2, 2, 2])
    }

    @Test func storageIs64ByteAligned() {
        let t = Tensor(zeros: [3, 7])
        t.withUnsafeBufferPointer { #expect(Int(bitPattern: $0.baseAddress!) % 64 == 0) }
    }
}
