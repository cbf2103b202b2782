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

    /// Within 2 ulp of tanh in `Double`, rounded, for every 331st float from −12 to 12 (about 6.4
    /// million inputs, both branches and the switch between them at |x| = 0.625, and the tiny values
    /// where tanh(x) = x).
    @Test func hyperbolicTangentIsWithinTwoUlp() {
        var worst: Float = 0, worstInput: Float = 0
        for sign: Float in [1, -1] {
            var magnitude: Float = 1e-30
            while magnitude < 12 {
                let x = sign * magnitude
                let expected = FastMath.hyperbolicTangentNaive(x)
                let error = abs(FastMath.hyperbolicTangent(x) - expected) / expected.magnitude.ulp
                if error > worst { (worst, worstInput) = (error, x) }
                magnitude = Float(bitPattern: magnitude.bitPattern &+ 331)
            }
        }
        #expect(worst <= 2, "largest error \(worst) ulp at \(worstInput)")
    }

    @Test func hyperbolicTangentEdgeCases() {
        #expect(FastMath.hyperbolicTangent(0) == 0)
        #expect(FastMath.hyperbolicTangent(-0.0).sign == .minus)
        #expect(FastMath.hyperbolicTangent(9.1) == 1 && FastMath.hyperbolicTangent(-9.1) == -1)
        #expect(FastMath.hyperbolicTangent(.infinity) == 1 && FastMath.hyperbolicTangent(-.infinity) == -1)
        #expect(FastMath.hyperbolicTangent(1000) == 1)
        #expect(FastMath.hyperbolicTangent(.nan).isNaN)
        #expect(FastMath.hyperbolicTangent(1e-20) == 1e-20)
    }
}
