import VQEngine

/// Keeping the processes of a data-parallel run in step: one start for all, and a check that they
/// still agree.
extension ModelTrainer {
    /// Makes this trainer equal on every process to process 0's: the model's parameters and buffers,
    /// Adam's moments, step and β powers, and the generator. Call once before the first step (after
    /// a data-dependent initialisation or a resume), so that processes which computed their start
    /// apart (k-means on another machine's kernels, a state read from another copy of the run) begin
    /// bit for bit alike. Nothing to do in a single process.
    public mutating func synchronize() throws {
        guard communicator.size > 1 else { return }
        let state = generator.state
        var words: [UInt64] = [UInt64(optimizer.step), optimizer.beta1Power.bitPattern, optimizer.beta2Power.bitPattern,
                               state.0, state.1, state.2, state.3, UInt64(optimizer.firstMoments.count)]
        try communicator.broadcast(&words, from: 0)
        generator.state = (words[3], words[4], words[5], words[6])
        var failure: Error?
        let communicator = self.communicator
        func broadcast(_ tensor: inout Tensor) {
            guard failure == nil else { return }
            do { try communicator.broadcast(&tensor, from: 0) } catch { failure = error }
        }
        model.forEachParameter { _, parameter in broadcast(&parameter) }
        model.forEachBuffer { _, buffer in broadcast(&buffer) }
        if let failure { throw failure }
        // Moments exist after the first update; every process is at the same step, so all have them or none.
        var firstMoments = optimizer.firstMoments, secondMoments = optimizer.secondMoments
        guard Int(words[7]) == firstMoments.count else {
            throw CommunicationError("process \(communicator.rank) holds \(firstMoments.count) optimizer moments, process 0 \(words[7])")
        }
        for index in firstMoments.indices {
            try communicator.broadcast(&firstMoments[index], from: 0)
            try communicator.broadcast(&secondMoments[index], from: 0)
        }
        optimizer.restore(step: Int(words[0]), beta1Power: Double(bitPattern: words[1]), beta2Power: Double(bitPattern: words[2]),
                          firstMoments: firstMoments, secondMoments: secondMoments)
    }

    /// FNV-1a (64-bit) of everything the next step depends on: the bits of every parameter and buffer
    /// in their visiting order, of Adam's moments, step and β powers, and the generator's state.
    public func stateDigest() -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ word: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) { hash = (hash ^ ((word >> UInt64(shift)) & 0xFF)) &* 0x0000_0100_0000_01B3 }
        }
        func mix(_ tensor: Tensor) {
            tensor.withUnsafeBufferPointer { values in for value in values { mix(UInt64(value.bitPattern)) } }
        }
        var copy = model
        copy.forEachParameter { _, parameter in mix(parameter) }
        copy.forEachBuffer { _, buffer in mix(buffer) }
        for moment in optimizer.firstMoments + optimizer.secondMoments { mix(moment) }
        let state = generator.state
        for word in [UInt64(optimizer.step), optimizer.beta1Power.bitPattern, optimizer.beta2Power.bitPattern,
                     state.0, state.1, state.2, state.3] { mix(word) }
        return hash
    }

    /// Whether every process holds the same state as this one (equal `stateDigest`s), by one
    /// all-reduce of the digests' halves' minima and maxima. True in a single process.
    public func processesAgree() throws -> Bool {
        guard communicator.size > 1 else { return true }
        let digest = stateDigest()
        let halves = [Double(digest >> 32), Double(digest & 0xFFFF_FFFF)]
        var bounds = halves + halves.map { -$0 }    // max of −x is −min x: one call for both
        try communicator.allReduce(&bounds, .maximum)
        return bounds[0] == -bounds[2] && bounds[1] == -bounds[3]
    }
}
