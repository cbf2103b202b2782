import Testing
import VQEngine

/// Records a test issue for each element where |actual − expected| > absolute + relative·|expected|
/// (numpy's `allclose` rule), naming the first few offending indices.
public func expectClose(_ actual: [Float], _ expected: [Float], absolute: Float = 1e-5, relative: Float = 1e-4,
                        _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(comment): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var failures: [String] = []
    var worst: Float = 0
    for i in actual.indices {
        let difference = abs(actual[i] - expected[i])
        let allowed = absolute + relative * abs(expected[i])
        if !(difference <= allowed) {  // also catches NaN
            if failures.count < 5 { failures.append("[\(i)] \(actual[i]) vs \(expected[i])") }
            worst = max(worst, difference)
        }
    }
    if !failures.isEmpty {
        Issue.record("\(comment): values differ (largest difference \(worst)): \(failures.joined(separator: ", "))",
                     sourceLocation: sourceLocation)
    }
}

/// `expectClose` for two tensors, also requiring equal shapes.
public func expectClose(_ actual: Tensor, _ expected: Tensor, absolute: Float = 1e-5, relative: Float = 1e-4,
                        _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(comment): shape", sourceLocation: sourceLocation)
    if actual.shape == expected.shape {
        expectClose(actual.scalars, expected.scalars, absolute: absolute, relative: relative, comment, sourceLocation: sourceLocation)
    }
}
