import Testing
@testable import VQEngine

/// What `vqvae bench` reports of the machine, read from a /proc/cpuinfo text (two processors of the
/// Emerald Rapids of BENCHMARKS.md, flags shortened): the first processor's fields, the named features
/// it has, in their fixed order.
@Suite struct MachineDescriptionTests {
    static let cpuinfo = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        cpu family\t: 6
        model\t\t: 207
        model name\t: Intel(R) Xeon(R) Processor
        flags\t\t: fpu sse2 fma avx2 avx512f avx512bw amx_bf16 amx_tile

        processor\t: 1
        model name\t: Another name
        flags\t\t: fpu
        """

    @Test func readsTheFirstProcessor() {
        var machine = MachineDescription(cpuModel: "unknown CPU", family: nil, model: nil, features: [], gemmKernel: "avx512", threads: 2)
        machine.read(cpuinfo: MachineDescriptionTests.cpuinfo)
        #expect(machine.cpuModel == "Intel(R) Xeon(R) Processor")
        #expect(machine.family == 6 && machine.model == 207)
        #expect(machine.features == ["avx512f", "avx2", "fma", "amx_tile"])
        #expect(machine.summary == "Intel(R) Xeon(R) Processor (family 6, model 207; avx512f avx2 fma amx_tile), kernel avx512, 2 worker threads")
    }

    @Test func unknownMachineStillSummarises() {
        let machine = MachineDescription(cpuModel: "unknown CPU", family: nil, model: nil, features: [], gemmKernel: "generic", threads: 1)
        #expect(machine.summary == "unknown CPU, kernel generic, 1 worker thread")
        #expect(MachineDescription.current.gemmKernel == Gemm.kernelName)
    }

    /// Cache sizes in binary units and the kernel's blocking after its name; unknown (0) caches are left out.
    @Test func summaryNamesCachesAndBlocking() {
        var machine = MachineDescription(cpuModel: "CPU", family: nil, model: nil, features: ["avx2"], gemmKernel: "avx2", threads: 2)
        (machine.l1DataCache, machine.l2Cache, machine.l3Cache) = (48 << 10, 2 << 20, 0)
        machine.gemmBlocking = Gemm.Blocking(rows: 336, columns: 672)
        #expect(machine.summary == "CPU (avx2; L1d 48 KiB, L2 2 MiB), kernel avx2 (mc 336, nc 672), 2 worker threads")
        #expect(MachineDescription.describe(bytes: 1536 << 10) == "1.5 MiB")
        #expect(MachineDescription.describe(bytes: 300) == "300 B")
    }
}
