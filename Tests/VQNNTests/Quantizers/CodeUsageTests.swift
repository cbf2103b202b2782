import Foundation
import Testing
import VQNN
import _VQTestSupport

/// `CodeUsage` on a hand example: depth 2, K 3.
///
/// Indices of 4 rows in (row, stage) order: [0, 2,  1, 2,  0, 2,  0, 1], so stage 0 sees [0, 1, 0, 0]
/// → counts (3, 1, 0) and stage 1 sees [2, 2, 2, 1] → counts (0, 1, 3).
/// Perplexity of (3, 1, 0): p = (¾, ¼), entropy −(¾ ln ¾ + ¼ ln ¼) = 0.2157616 + 0.3465736 = 0.5623351,
/// exp → 1.7547654; the same for (0, 1, 3). Usage 2/3 and 1 dead code per stage.
/// Then 2 more rows at depth 1, indices [2, 2] (stage 1 counts nothing): stage 0 counts (3, 1, 2),
/// p = (½, ⅙, ⅓), entropy ½ ln 2 + ⅙ ln 6 + ⅓ ln 3 = 0.3465736 + 0.2986266 + 0.3662041 = 1.0114043,
/// perplexity 2.7494593, usage 1, no dead code.
@Suite struct CodeUsageTests {
    @Test func countsPerplexitiesUsagesAndDeadCodesByHand() throws {
        var usage = CodeUsage(depth: 2, codebookSize: 3)
        #expect(usage.counts == [[0, 0, 0], [0, 0, 0]])
        #expect(usage.deadCodes == [3, 3] && usage.usages == [0, 0] && usage.perplexities == [0, 0])

        usage.record([0, 2, 1, 2, 0, 2, 0, 1], depth: 2)
        #expect(usage.counts == [[3, 1, 0], [0, 1, 3]])
        expectClose(usage.perplexities.map(Float.init), [1.7547654, 1.7547654], absolute: 1e-6, relative: 1e-6, "perplexities")
        #expect(usage.usages == [2.0 / 3, 2.0 / 3])
        #expect(usage.deadCodes == [1, 1])

        usage.record([2, 2], depth: 1)
        #expect(usage.counts == [[3, 1, 2], [0, 1, 3]])
        expectClose(usage.perplexities.map(Float.init), [2.7494593, 1.7547654], absolute: 1e-6, relative: 1e-6, "perplexities")
        #expect(usage.usages == [1, 2.0 / 3])
        #expect(usage.deadCodes == [0, 1])

        let decoded = try JSONDecoder().decode(CodeUsage.self, from: JSONEncoder().encode(usage))
        #expect(decoded == usage)
    }
}
