import VQEngine

extension VectorQuantizer {
    /// Re-initialises the codebook by k-means++ on encoder outputs `vectors` (M, D): D²-weighted
    /// seeding (Arthur & Vassilvitskii 2007) then `iterations` Lloyd steps. A code left without
    /// vectors keeps its seed. An EMA codebook's state is reset to match: cluster sizes are the
    /// final assignment counts scaled to one batch (`batchesSeen` batches gave the vectors).
    public mutating func initializeByKMeans(_ vectors: Tensor, iterations: Int = 10, batchesSeen: Int = 1,
                                            generator: inout RandomGenerator) {
        let (m, d, k) = (vectors.shape[0], embeddingDim, numEmbeddings)
        precondition(vectors.rank == 2 && vectors.shape[1] == d && m > 0,
                     "VectorQuantizer.initializeByKMeans: vectors \(vectors.shape) are not (M, \(d))")
        var centres = kMeansPlusPlusSeeds(vectors, count: k, generator: &generator)
        var counts = [Int](repeating: 0, count: k)
        for _ in 0..<max(iterations, 1) {
            let assignment = vectors.nearestRows(in: centres).indices
            (centres, counts) = clusterMeans(vectors, assignment, previous: centres)
        }
        codebook = centres
        if var averages = movingAverages {
            let scale = 1 / Float(max(batchesSeen, 1))
            averages.clusterSizes = Tensor(shape: [k], scalars: counts.map { Float($0) * scale })
            // m = e·Ñ (not e·N), so the state's own codebook m / Ñ is this one, also for a code
            // without vectors (N 0 but Ñ > 0), which would otherwise jump to 0 at the next update.
            averages.embeddingSums = centres * Tensor(shape: [k, 1], scalars: averages.smoothedClusterSizes())
            movingAverages = averages
        }
    }

    private func kMeansPlusPlusSeeds(_ vectors: Tensor, count k: Int, generator: inout RandomGenerator) -> Tensor {
        let (m, d) = (vectors.shape[0], vectors.shape[1])
        let z = vectors.scalars
        var seeds = [Float](repeating: 0, count: k * d)
        var nearest = [Double](repeating: .infinity, count: m)
        var chosen = generator.nextIndex(below: m)
        for centre in 0..<k {
            for j in 0..<d { seeds[centre * d + j] = z[chosen * d + j] }
            var total = 0.0
            for row in 0..<m {
                var distance = 0.0
                for j in 0..<d {
                    let difference = Double(z[row * d + j] - seeds[centre * d + j])
                    distance += difference * difference
                }
                nearest[row] = min(nearest[row], distance)
                total += nearest[row]
            }
            guard total > 0 else { chosen = generator.nextIndex(below: m); continue }  // all covered
            var target = generator.nextUniformDouble() * total
            chosen = m - 1
            for row in 0..<m {
                target -= nearest[row]
                if target < 0 { chosen = row; break }
            }
        }
        return Tensor(shape: [k, d], scalars: seeds)
    }

    private func clusterMeans(_ vectors: Tensor, _ assignment: [Int32], previous: Tensor) -> (Tensor, [Int]) {
        let (k, d) = (previous.shape[0], previous.shape[1])
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        let z = vectors.scalars
        for (row, code) in assignment.enumerated() {
            let c = Int(code)
            counts[c] += 1
            for j in 0..<d { sums[c * d + j] += Double(z[row * d + j]) }
        }
        var means = previous.scalars
        for c in 0..<k where counts[c] > 0 {
            for j in 0..<d { means[c * d + j] = Float(sums[c * d + j] / Double(counts[c])) }
        }
        return (Tensor(shape: [k, d], scalars: means), counts)
    }
}
