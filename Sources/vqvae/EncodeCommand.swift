import ArgumentParser
import VQData
import VQModels

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode images to code grids in a .vqc file.",
        discussion: """
            Writes the code grid ((H/F)x(W/F) positions, F the model's downsampling factor, each with one \
            index below K per quantizer stage used) of each of the first --limit images of the split, with \
            their labels when the dataset has them, in the .vqc format (FORMATS.md): a header with version, \
            count, grid shape, depth and K, the indices packed at max(1, ceil(log2 K)) bits, most \
            significant bit first, and a CRC-32. --depth k keeps the first k stages of a residual model.
            """)

    @OptionGroup var inputs: ModelDataOptions
    @Option(help: "The .vqc file to write (replaced atomically). Required.") var out: String
    @Option(help: "Encode only the first this many images (default: the whole split).") var limit: Int?
    @Option(help: "Keep the first k stages of a residual quantizer (default: all).") var depth: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
    }

    func run() throws {
        try failingWithOneLine {
            let (model, dataset, source) = try inputs.load(depth: depth)
            let codes = model.encode(dataset, limit: limit, depth: depth)
            try codes.write(to: out)
            let stages = codes.depth > 1 ? ", \(codes.depth) stages" : ""
            writeError("wrote \(out): \(codes.count) grids of \(codes.height)x\(codes.width) codes (K \(codes.numEmbeddings), \(codes.bitWidth) bits each\(stages)\(codes.labels.isEmpty ? "" : ", with labels")) from \(source) \(inputs.split.rawValue)\n")
        }
    }
}
