import ArgumentParser
import VQEngine

/// `vqvae bench gemm --size N [--json]`: matrix-product throughput (see `GemmBenchmark`).
struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Matrix product throughput: C = A·B, all N×N fp32, on all cores.",
        discussion: """
            Warms up, then repeats the product for about --seconds and reports the median.
            GFLOP/s = 2·N³ / seconds / 10⁹. Set VQK_KERNEL=avx512|avx2|generic to measure another \
            implementation than the one chosen for this CPU, and --mc/--nc to try other cache blocks \
            than those chosen from its L2 size.
            """)

    @Option(help: "The side N of the square matrices.")
    var size: Int = 1024

    @Option(help: "Roughly how long to keep repeating the product, in seconds.")
    var seconds: Double = 1.5

    @Option(help: "Threads to spread the product over (default: all cores, or 1 for small products).")
    var threads: Int?

    @Option(help: "Rows of A per task (mc), a multiple of the kernel's tile rows (default: chosen from the L2 size).")
    var mc: Int?

    @Option(help: "Columns of packed B swept per panel of A (nc), a multiple of the kernel's tile columns (default: chosen from the L2 size).")
    var nc: Int?

    @Flag(help: "Print one JSON line: {\"op\":\"gemm\",\"size\":N,\"gflops\":X,…}.")
    var json = false

    func validate() throws {
        guard size > 0 else { throw ValidationError("--size must be positive") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        let (rows, columns) = (Gemm.rowTile(), Gemm.columnTile())
        if let mc, mc < rows || mc % rows != 0 { throw ValidationError("--mc must be a positive multiple of \(rows) (the \(Gemm.kernelName) kernel's tile rows)") }
        if let nc, nc < columns || nc % columns != 0 { throw ValidationError("--nc must be a positive multiple of \(columns) (the \(Gemm.kernelName) kernel's tile columns)") }
    }

    func run() throws {
        writeBenchmarkMachine()
        let chosen = Gemm.Blocking.chosen()
        let blocking = Gemm.Blocking(rows: mc ?? chosen.rows, columns: nc ?? chosen.columns)
        let result = GemmBenchmark.run(size: size, targetSeconds: seconds, threadCount: threads, blocking: blocking)
        let gflops = (result.gflops * 10).rounded() / 10
        let milliseconds = (result.measurement.median * 1e5).rounded() / 100
        if json {
            print("{\"op\":\"gemm\",\"size\":\(result.size),\"gflops\":\(gflops),\"kernel\":\"\(result.kernel)\","
                + "\"threads\":\(result.threads),\"mc\":\(result.blocking.rows),\"nc\":\(result.blocking.columns),\"runs\":\(result.measurement.runs),\"median_ms\":\(milliseconds),"
                + "\"cpu\":\(jsonString(MachineDescription.current.cpuModel))}")
        } else {
            print("gemm \(size)×\(size)×\(size) fp32, \(result.kernel) (\(result.blocking)), \(result.threads) threads: \(gflops) GFLOP/s "
                + "(median of \(result.measurement.runs) runs, \(milliseconds) ms each)")
        }
    }
}
