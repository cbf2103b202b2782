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
            implementation than the one chosen for this CPU.
            """)

    @Option(help: "The side N of the square matrices.")
    var size: Int = 1024

    @Option(help: "Roughly how long to keep repeating the product, in seconds.")
    var seconds: Double = 1.5

    @Option(help: "Threads to spread the product over (default: all cores, or 1 for small products).")
    var threads: Int?

    @Flag(help: "Print one JSON line: {\"op\":\"gemm\",\"size\":N,\"gflops\":X,…}.")
    var json = false

    func validate() throws {
        guard size > 0 else { throw ValidationError("--size must be positive") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        writeBenchmarkMachine()
        let result = GemmBenchmark.run(size: size, targetSeconds: seconds, threadCount: threads)
        let gflops = (result.gflops * 10).rounded() / 10
        let milliseconds = (result.measurement.median * 1e5).rounded() / 100
        if json {
            print("{\"op\":\"gemm\",\"size\":\(result.size),\"gflops\":\(gflops),\"kernel\":\"\(result.kernel)\","
                + "\"threads\":\(result.threads),\"runs\":\(result.measurement.runs),\"median_ms\":\(milliseconds),"
                + "\"cpu\":\(jsonString(MachineDescription.current.cpuModel))}")
        } else {
            print("gemm \(size)×\(size)×\(size) fp32, \(result.kernel), \(result.threads) threads: \(gflops) GFLOP/s "
                + "(median of \(result.measurement.runs) runs, \(milliseconds) ms each)")
        }
    }
}
