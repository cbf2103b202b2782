import Testing
import VQEngine
import _VQTestSupport

/// `FastMath.exponential` against its naive twin (`exp` in `Double`, rounded to `Float`).
@Suite struct FastMathTests {
    /// Within 1 ulp of the rounded `Double` result for every 997th float whose exponential is a
    /// normal float (about 1.1 million inputs from −87.3 to 88.7).
    @Test func exponentialIsWithinOneUlp() {
        var x: Float = -87.33
        var worst: Float = 0, worstInput: Float = 0
        while x < 88.72 {
            let expected = FastMath.exponentialNaive(x)
            let error = abs(FastMath.exponential(x) - expected) / expected.ulp
            if error > worst { (worst, worstInput) = (error, x) }
            x = Float(bitPattern: x.bitPattern &+ (x < 0 ? 0 &- 997 : 997))
            if x.bitPattern == 0x8000_0000 || (x < 0 && x > -1e-30) { x = 0 }
        }
        #expect(worst <= 1, "largest error \(worst) ulp at \(worstInput)")
    }

    @Test func exponentialEdgeCases() {
        #expect(FastMath.exponential(0) == 1)
        #expect(FastMath.exponential(88.8) == .infinity)
        #expect(FastMath.exponential(.infinity) == .infinity)
        #expect(FastMath.exponential(-.infinity) == 0)
        #expect(FastMath.exponential(-1000) == 0)
        #expect(FastMath.exponential(.nan).isNaN)
        #expect(FastMath.exponential(88.72).isFinite)
        let subnormal = FastMath.exponential(-100)  // e^−100 ≈ 3.7e−44, below the smallest normal float
        #expect(subnormal > 0 && subnormal < Float.leastNormalMagnitude)
    }
}
