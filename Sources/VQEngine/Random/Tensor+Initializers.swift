/// Random tensors and the usual weight initialisers, drawn from a `RandomGenerator` in row-major
/// order so that the same seed gives the same tensor everywhere.
extension Tensor {
    /// Uniform samples in [low, high).
    public init(uniform shape: [Int], low: Float = 0, high: Float = 1, generator: inout RandomGenerator) {
        precondition(low <= high, "Tensor(uniform:): low \(low) exceeds high \(high)")
        self = Tensor.uninitialized(shape)
        withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = low + (high - low) * generator.nextUniform() }
        }
    }

    /// Normal samples with the given mean and standard deviation.
    public init(normal shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: inout RandomGenerator) {
        self = Tensor.uninitialized(shape)
        withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = mean + standardDeviation * generator.nextNormal() }
        }
    }

    /// He/Kaiming uniform: U(−b, b) with b = gain·√(3 / fanIn). PyTorch's default for `Conv2d` and
    /// `Linear` weights is `gain = √(1/3)` (`kaiming_uniform_(a=√5)`), giving b = 1/√fanIn.
    public init(kaimingUniform shape: [Int], fanIn: Int, gain: Float = Float(2).squareRoot(), generator: inout RandomGenerator) {
        let bound = gain * (3 / Float(max(fanIn, 1))).squareRoot()
        self.init(uniform: shape, low: -bound, high: bound, generator: &generator)
    }

    /// He/Kaiming normal: N(0, (gain / √fanIn)²).
    public init(kaimingNormal shape: [Int], fanIn: Int, gain: Float = Float(2).squareRoot(), generator: inout RandomGenerator) {
        self.init(normal: shape, standardDeviation: gain / Float(max(fanIn, 1)).squareRoot(), generator: &generator)
    }

    /// Glorot/Xavier uniform: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)).
    public init(glorotUniform shape: [Int], fanIn: Int, fanOut: Int, gain: Float = 1, generator: inout RandomGenerator) {
        let bound = gain * (6 / Float(max(fanIn + fanOut, 1))).squareRoot()
        self.init(uniform: shape, low: -bound, high: bound, generator: &generator)
    }

    /// Glorot/Xavier normal: N(0, gain²·2 / (fanIn + fanOut)).
    public init(glorotNormal shape: [Int], fanIn: Int, fanOut: Int, gain: Float = 1, generator: inout RandomGenerator) {
        let deviation = gain * (2 / Float(max(fanIn + fanOut, 1))).squareRoot()
        self.init(normal: shape, standardDeviation: deviation, generator: &generator)
    }
}
