import CVQKernels

/// Matrix products on raw row-major buffers: the one fast kernel most ops (matmul, convolutions,
/// nearest-row search) reduce to.
///
/// `multiply` is the fast path: the blocked SIMD sgemm of `CVQKernels` (see its sgemm_driver.c for
/// the blocking), with the implementation chosen for this CPU, on all cores. `multiplyNaive` is its
/// reference twin, kept for the tests.
public enum Gemm {
    /// The implementations of the fast path. `VQK_KERNEL=avx512|avx2|generic` in the environment
    /// changes which one `multiply` uses by default (read once, at the first product).
    public enum Kernel: Int32, CaseIterable, Sendable, CustomStringConvertible {
        /// Portable C with vector extensions (SSE2 on x86-64, NEON on arm64).
        case generic = 0
        /// x86-64 with AVX2 and FMA.
        case avx2 = 1
        /// x86-64 with AVX-512F.
        case avx512 = 2

        /// Whether this CPU can run the implementation.
        public var isSupported: Bool { vqk_sgemm_kernel_supported(rawValue) != 0 }

        /// "generic", "avx2" or "avx512".
        public var description: String { String(cString: vqk_sgemm_kernel_id_name(rawValue)) }

        /// The implementation `multiply` uses unless told otherwise: the widest this CPU supports,
        /// or the one `VQK_KERNEL` names.
        public static var `default`: Kernel { Kernel(rawValue: vqk_sgemm_default_kernel()) ?? .generic }
    }

    /// The cache blocks of the fast path: at most `rows` rows of op(A) per task (BLAS's mc) and
    /// `columns` columns of packed op(B) swept per panel of A (nc). They decide which parts of a
    /// product share a cache, never its result: every blocking gives the same bits.
    public struct Blocking: Equatable, Sendable, CustomStringConvertible {
        public var rows: Int
        public var columns: Int

        public init(rows: Int, columns: Int) { (self.rows, self.columns) = (rows, columns) }

        /// The blocks `kernel` (nil: `Kernel.default`) uses on this CPU, chosen from its L2 size:
        /// packed B's group of columns fills a quarter of L2 (beside the next group, fetched ahead), a
        /// task's rows of A an eighth (sgemm_blocking.c).
        public static func chosen(for kernel: Kernel? = nil) -> Blocking {
            let blocking = vqk_sgemm_kernel_blocking(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT))
            return Blocking(rows: blocking.mc, columns: blocking.nc)
        }

        /// "mc 336, nc 672".
        public var description: String { "mc \(rows), nc \(columns)" }
    }

    /// The sizes in bytes of this CPU's data caches as the operating system reports them (0 when
    /// unknown): L1 data and L2 of one core, and L3.
    public static var cacheSizes: (l1Data: Int, l2: Int, l3: Int) {
        let sizes = vqk_cpu_cache_sizes()
        return (sizes.l1d, sizes.l2, sizes.l3)
    }

    /// Products with fewer multiply-adds than this (m·n·k) run on the calling thread: below it,
    /// waking the other threads (two Dispatch rounds, ~40 µs together on the 2-core machine of
    /// BENCHMARKS.md) costs more than it saves. Measured there: 128³ ran at 88 GFLOP/s on one thread
    /// and 70 on two, 192³ at 94 and 111; the break-even is near 160³.
    public static let parallelThreshold = 160 * 160 * 160

    /// C[m×n] = op(A)[m×k] · op(B)[k×n] + beta·C, row-major, on all cores.
    ///
    /// op(A) is A stored m×k with row stride `lda`, or when `transposeA` the transpose of A stored
    /// k×m with row stride `lda`; likewise op(B). `beta` is 0 (C is only written) or 1 (accumulate).
    /// Only the m×n elements of C are written. `kernel` picks an implementation (it must be
    /// supported; nil: `Kernel.default`); `threadCount` overrides the number of threads (nil: one
    /// below `parallelThreshold`, otherwise all cores); `blocking` the cache blocks (nil:
    /// `Blocking.chosen(for:)`; rows a multiple of the kernel's tile rows, columns of `columnTile`).
    public static func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                                kernel: Kernel? = nil, threadCount: Int? = nil, blocking: Blocking? = nil) {
        precondition(beta == 0 || beta == 1, "Gemm.multiply: beta must be 0 or 1, not \(beta)")
        precondition(kernel?.isSupported ?? true, "Gemm.multiply: this CPU cannot run the \(kernel!) kernel")
        guard m > 0, n > 0 else { return }
        // The C driver packs op(B) once, shares it, and hands row (or column) blocks of C to the
        // runner's tasks, which never wait for each other.
        var config = configuration(kernel: kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT), m: m, n: n, k: k,
                                   threadCount: threadCount)
        if let blocking { config.blocking = vqk_sgemm_blocking(mc: blocking.rows, nc: blocking.columns) }
        let status = vqk_sgemm_configured(&config, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k,
                                          a, lda, b, ldb, beta, c, ldc)
        precondition(status == 0, "Gemm.multiply: the \(kernel ?? .default) kernel did not run"
            + (blocking.map { " with \($0)" } ?? ""))
    }

    /// C[m×n] = packedA[m×k] · op(B)[k×n] + beta·C: `multiply` with op(A) packed beforehand by
    /// `PackedMatrix`, so that one matrix multiplied by many (a convolution's weight by the columns
    /// of each image) is packed once rather than once per product.
    public static func multiply(packedA: PackedMatrix, transposeB: Bool = false, n: Int,
                                b: UnsafePointer<Float>, ldb: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>,
                                ldc: Int, threadCount: Int? = nil) {
        precondition(beta == 0 || beta == 1, "Gemm.multiply: beta must be 0 or 1, not \(beta)")
        let m = packedA.rows, k = packedA.depth
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if beta == 0 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            return
        }
        var config = configuration(kernel: packedA.kernel.rawValue, m: m, n: n, k: k, threadCount: threadCount)
        let status = vqk_sgemm_configured_packed_a(&config, transposeB ? 1 : 0, m, n, k, packedA.pointer,
                                                   b, ldb, beta, c, ldc)
        precondition(status == 0, "Gemm.multiply: the \(packedA.kernel) kernel did not run")
    }

    /// How the C driver runs an m×n×k product: on `threadCount` threads, or (nil) on one below
    /// `parallelThreshold` and on all cores above it, its tasks spread by `Parallel.forEach`.
    static func configuration(kernel: Int32, m: Int, n: Int, k: Int, threadCount: Int?) -> vqk_sgemm_config {
        let threads = threadCount ?? (m * n * k < parallelThreshold ? 1 : Parallel.workerCount)
        return vqk_sgemm_config(kernel: kernel, thread_count: max(1, threads),
                                runner: { count, task, context in Parallel.forEach(count) { task!(context, $0) } },
                                blocking: vqk_sgemm_blocking(mc: 0, nc: 0))
    }

    /// The column tile of a kernel's microkernel: products whose n is a multiple of it waste no work
    /// on padding lanes.
    public static func columnTile(kernel: Kernel? = nil) -> Int {
        vqk_sgemm_kernel_column_tile(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT))
    }

    /// The row tile of a kernel's microkernel: a `Blocking`'s rows are a multiple of it.
    public static func rowTile(kernel: Kernel? = nil) -> Int {
        vqk_sgemm_kernel_row_tile(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT))
    }

    /// The reference twin of `multiply`: three loops, accumulating in `Double`.
    public static func multiplyNaive(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(av) * Double(bv)
                }
                c[i * ldc + j] = Float(sum) + (beta == 0 ? 0 : c[i * ldc + j])
            }
        }
    }

    /// The SIMD implementation chosen for this CPU ("avx512", "avx2" or "generic").
    public static var kernelName: String { String(cString: vqk_sgemm_kernel_name()) }
}

extension Gemm {
    /// op(A) (rows × depth) packed once in the layout of the chosen kernel's driver, for many
    /// `Gemm.multiply(packedA:…)` calls. Owns its memory: call `deallocate()` when done.
    public struct PackedMatrix {
        public let rows: Int
        public let depth: Int
        public let kernel: Kernel
        let pointer: UnsafeMutablePointer<Float>

        /// Packs op(A): A stored rows×depth with row stride `lda`, or with `transposeA` the transpose
        /// of A stored depth×rows.
        public init(transposeA: Bool = false, rows: Int, depth: Int, a: UnsafePointer<Float>, lda: Int,
                    kernel: Kernel? = nil) {
            let chosen = kernel ?? .default
            precondition(chosen.isSupported, "Gemm.PackedMatrix: this CPU cannot run the \(chosen) kernel")
            self.rows = rows
            self.depth = depth
            self.kernel = chosen
            let count = max(1, vqk_sgemm_packed_a_count(chosen.rawValue, rows, depth))
            pointer = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
            vqk_sgemm_pack_a(chosen.rawValue, transposeA ? 1 : 0, rows, depth, a, lda, pointer)
        }

        /// A matrix already packed at `pointer` in `vqk_sgemm_pack_a`'s layout for `kernel`, owned by the
        /// caller (its `deallocate` is not for this one).
        init(rows: Int, depth: Int, kernel: Kernel, packedAt pointer: UnsafeMutablePointer<Float>) {
            self.rows = rows
            self.depth = depth
            self.kernel = kernel
            self.pointer = pointer
        }

        public func deallocate() { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}
