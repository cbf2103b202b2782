import Testing
import VQEngine

@Suite struct AllocatorTuningTests {
    /// glibc takes both settings (the C side tells glibc apart by `__GLIBC__`, which only a glibc header
    /// defines: this failed while the file included none). The effect, page faults per training step,
    /// is measured in BENCHMARKS.md, not here: a test thread allocates from a per-thread arena, whose
    /// emptied heaps glibc unmaps whatever the trim threshold, while the command trains on the main one.
    @Test func glibcTakesTheSettings() {
        #if canImport(Glibc)
        #expect(AllocatorTuning.keepFreedMemory())
        #else
        #expect(!AllocatorTuning.keepFreedMemory())
        #endif
    }
}
