import CVQKernels

/// Settings of the C library's allocator that a training process wants and a library must not impose:
/// call them once at start (the `vqvae` command does).
public enum AllocatorTuning {
    /// Keeps freed tensor buffers in the process for reuse instead of handing them back to the system.
    ///
    /// A training step allocates and frees the same large buffers every time (activations, im2col
    /// columns, gradients). glibc's malloc serves blocks above its mmap threshold (128 KiB, rising
    /// with use to at most 32 MiB) with fresh `mmap`s and returns freed memory at the top of the heap
    /// to the system, so every step faults its buffers in again, page by page, zeroed by the kernel
    /// (`vqvae bench audio --steps 10`: 155 000 page faults; with these settings 41 500). With the
    /// threshold at 1 GiB and the heap never trimmed, a step reuses the previous step's pages. Peak
    /// memory stays the same (one step's buffers are alive together either way): BENCHMARKS.md.
    ///
    /// Returns whether the allocator took the settings (false on other C libraries, which are left
    /// as they are).
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        vqk_keep_freed_memory() == 1
    }
}
