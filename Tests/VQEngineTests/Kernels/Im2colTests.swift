import Testing
import VQEngine
import _VQTestSupport

/// The fast im2col / col2im against their naive twins (each entry from the definition), on the odd
/// geometries of the convolution tests, writing into a wider matrix as the batched chunks do.
@Suite struct Im2colTests {
    /// The convolution tests' geometries, rows of 32 or more floats (copied by memcpy, not in SIMD
    /// pieces), and the Sonnet encoder's 4×4 stride-2 taps (SIMD pairs up to the end of the plane).
    static let geometries: [ConvolutionGeometry] =
        ConvolutionCase.convolutions.map { try! $0.geometry() } + ConvolutionCase.transposedConvolutions.map { try! $0.transposedGeometry() }
        + [ConvolutionCase(input: [1, 2, 4, 41], filters: 1, kernel: 3, padding: 1),
           ConvolutionCase(input: [1, 2, 3, 70], filters: 1, kernel: HeightWidth(2, 3), stride: 2, padding: HeightWidth(1, 2)),
           ConvolutionCase(input: [1, 1, 2, 64], filters: 1, kernel: HeightWidth(1, 33), padding: HeightWidth(0, 16)),
           ConvolutionCase(input: [1, 3, 16, 16], filters: 1, kernel: 4, stride: 2, padding: 1),
           ConvolutionCase(input: [1, 2, 9, 25], filters: 1, kernel: 3, stride: 2),
           ConvolutionCase(input: [1, 2, 11, 53], filters: 1, kernel: 3, stride: 3, padding: 2),
           ConvolutionCase(input: [1, 1, 1, 1], filters: 1, kernel: 3, padding: 1),
           // The Sonnet 3×3 layers on 7×7 maps, and column stride 1 with row stride 2.
           ConvolutionCase(input: [1, 3, 7, 7], filters: 1, kernel: 3, padding: 1),
           ConvolutionCase(input: [1, 2, 9, 37], filters: 1, kernel: HeightWidth(3, 4), stride: HeightWidth(2, 1),
                           padding: HeightWidth(1, 2)),
           // The planned AVX-512 copies (im2col_planned.c) on rows of several 16-lane blocks, stride 2,
           // dilation, padding wider than the kernel, the Sonnet 4×4 stride-2 taps; column strides
           // above 2 (earlier cases) take the unplanned code.
           ConvolutionCase(input: [1, 4, 5, 40], filters: 1, kernel: 3, padding: 1),
           ConvolutionCase(input: [1, 5, 6, 37], filters: 1, kernel: HeightWidth(3, 4), stride: 2, padding: HeightWidth(1, 2)),
           ConvolutionCase(input: [1, 4, 6, 35], filters: 1, kernel: 3, padding: 2, dilation: 2),
           ConvolutionCase(input: [1, 4, 3, 3], filters: 1, kernel: 2, padding: 3),
           ConvolutionCase(input: [1, 6, 14, 14], filters: 1, kernel: 4, stride: 2, padding: 1),
           ConvolutionCase(input: [1, 8, 7, 7], filters: 1, kernel: 3, padding: 1),
           // Padding so wide that, for the last taps, the valid columns end a whole 16-lane block before
           // the output does (stftMagnitude's convolutions: stride = hop, padding = fftSize/2): the
           // unplanned stride-2 and gather code once read the padding there.
           ConvolutionCase(input: [1, 2, 1, 20], filters: 1, kernel: HeightWidth(1, 24), stride: HeightWidth(1, 2),
                           padding: HeightWidth(0, 20)),
           ConvolutionCase(input: [1, 1, 1, 517], filters: 1, kernel: HeightWidth(1, 64), stride: HeightWidth(1, 16),
                           padding: HeightWidth(0, 32)),
           // Images large enough that their channels are split across the cores (`Im2col.entriesPerPiece`:
           // 65 536 entries; 61 × 9 × 256, 67 × 3 × 1000 and 40 × 4 × 1025), in uneven pieces: a
           // 3×3 layer, a dilated 1-D layer and a strided 1-D one as in the speech model.
           ConvolutionCase(input: [1, 61, 16, 16], filters: 1, kernel: 3, padding: 1),
           ConvolutionCase(input: [1, 67, 1, 1000], filters: 1, kernel: HeightWidth(1, 3), padding: HeightWidth(0, 3),
                           dilation: HeightWidth(1, 3)),
           ConvolutionCase(input: [1, 40, 1, 2050], filters: 1, kernel: HeightWidth(1, 4), stride: HeightWidth(1, 2),
                           padding: HeightWidth(0, 1))]
            .map { try! $0.geometry() }

    /// Columns with 3 extra columns per row, as when an image is one of several in a chunk matrix.
    static func columnStride(_ geometry: ConvolutionGeometry) -> Int { geometry.outputArea + 3 }
    static func columnCount(_ geometry: ConvolutionGeometry) -> Int {
        geometry.inputChannels * geometry.kernelArea * columnStride(geometry)
    }

    /// The implementations this CPU runs: AVX-512 (masked loads and stores) and the portable C loops.
    static let kernels: [Gemm.Kernel] = [.avx512, .generic].filter(\.isSupported)

    @Test(arguments: geometries, kernels)
    func imageToColumnsMatchesNaiveTwin(geometry: ConvolutionGeometry, kernel: Gemm.Kernel) {
        var generator = RandomGenerator(seed: 41)
        let image = convolutionTestTensor([geometry.inputChannels * geometry.inputArea], &generator)
        let stride = Im2colTests.columnStride(geometry)
        // Both start from the same sentinel so that entries written by neither stay equal and the
        // extra columns can be checked untouched.
        var fast = Tensor(repeating: 7, shape: [Im2colTests.columnCount(geometry)]), naive = fast
        image.withUnsafeBufferPointer { image in
            fast.withUnsafeMutableBufferPointer {
                Im2col.imageToColumns(image.baseAddress!, $0.baseAddress!, columnStride: stride, geometry: geometry, kernel: kernel)
            }
            naive.withUnsafeMutableBufferPointer {
                Im2col.imageToColumnsNaive(image.baseAddress!, $0.baseAddress!, columnStride: stride, geometry: geometry)
            }
        }
        #expect(fast.scalars == naive.scalars, "\(kernel) \(geometry)")
        for row in 0..<(geometry.inputChannels * geometry.kernelArea) {
            for extra in geometry.outputArea..<stride { #expect(fast[flat: row * stride + extra] == 7) }
        }
    }

    @Test(arguments: geometries, kernels)
    func columnsToImageMatchesNaiveTwin(geometry: ConvolutionGeometry, kernel: Gemm.Kernel) {
        var generator = RandomGenerator(seed: 42)
        let columns = convolutionTestTensor([Im2colTests.columnCount(geometry)], &generator)
        let stride = Im2colTests.columnStride(geometry)
        var fast = Tensor(repeating: 7, shape: [geometry.inputChannels * geometry.inputArea]), naive = fast
        columns.withUnsafeBufferPointer { columns in
            fast.withUnsafeMutableBufferPointer {
                Im2col.columnsToImage(columns.baseAddress!, columnStride: stride, $0.baseAddress!, geometry: geometry, kernel: kernel)
            }
            naive.withUnsafeMutableBufferPointer {
                Im2col.columnsToImageNaive(columns.baseAddress!, columnStride: stride, $0.baseAddress!, geometry: geometry)
            }
        }
        expectClose(fast, naive, absolute: 1e-5, relative: 1e-5, "\(geometry)")
    }

    /// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: col2im is the adjoint of im2col.
    @Test(arguments: geometries)
    func columnsToImageIsTheAdjoint(geometry: ConvolutionGeometry) {
        var generator = RandomGenerator(seed: 43)
        let count = geometry.inputChannels * geometry.kernelArea * geometry.outputArea
        let image = convolutionTestTensor([geometry.inputChannels * geometry.inputArea], &generator)
        let columns = convolutionTestTensor([count], &generator)
        var imageColumns = Tensor(zeros: [count]), columnsImage = Tensor(zeros: image.shape)
        image.withUnsafeBufferPointer { image in
            imageColumns.withUnsafeMutableBufferPointer {
                Im2col.imageToColumns(image.baseAddress!, $0.baseAddress!, columnStride: geometry.outputArea, geometry: geometry)
            }
        }
        columns.withUnsafeBufferPointer { columns in
            columnsImage.withUnsafeMutableBufferPointer {
                Im2col.columnsToImage(columns.baseAddress!, columnStride: geometry.outputArea, $0.baseAddress!, geometry: geometry)
            }
        }
        let lhs = convolutionTestDot(imageColumns, columns), rhs = convolutionTestDot(image, columnsImage)
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "\(geometry): \(lhs) vs \(rhs)")
    }

    /// One channel, 3×3 image, 2×2 kernel, padding 1, stride 2: the four columns of each tap by hand.
    @Test func smallColumnsByHand() throws {
        let geometry = try Tensor.conv2dShapes(input: [1, 1, 3, 3], weight: [1, 1, 2, 2], parameters: Conv2dParameters(stride: 2, padding: 1))
        let image: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        var columns = [Float](repeating: -1, count: 16)
        image.withUnsafeBufferPointer { image in
            columns.withUnsafeMutableBufferPointer {
                Im2col.imageToColumns(image.baseAddress!, $0.baseAddress!, columnStride: 4, geometry: geometry)
            }
        }
        // Output pixels (0,0) (0,1) (1,0) (1,1) read padded rows/columns -1 and 1 for tap (0,0), etc.
        #expect(columns == [0, 0, 0, 5,   0, 0, 4, 6,   0, 2, 0, 8,   1, 3, 7, 9])
    }
}
