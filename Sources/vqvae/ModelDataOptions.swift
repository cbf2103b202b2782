import ArgumentParser
import VQData
import VQModels

/// The options shared by the commands that run a trained model on a dataset: the checkpoint, the data
/// and which split of it.
struct ModelDataOptions: ParsableArguments {
    @Option(help: "A model checkpoint written by `vqvae train` (RUN/model.safetensors). Required.") var model: String
    @Option(help: "Dataset: an IDX (MNIST-layout) folder or file, a CIFAR-10 binary folder, or a folder of PNG/PGM/PPM/JPEG images, labelled by sub-folder (default: the built-in shapes).") var data: String?
    @Option(help: "Seed of the built-in shapes, used only without --data.") var seed: UInt64 = 0
    @Option(help: "Which split to read: train or test.") var split: DatasetSplit = .test

    /// The model and the chosen split, checked to fit each other (and `depth`, when given, to be within
    /// the quantizer's stages); throws `DataError`.
    func load(depth: Int? = nil) throws -> (model: VQVAE, dataset: ImageDataset, source: String) {
        let file = try SafeTensors(contentsOf: model)
        let vqvae = try VQVAE(checkpoint: file, path: model)
        if let depth, depth > vqvae.configuration.depth {
            throw DataError(model, "--depth \(depth) is more than the quantizer's \(vqvae.configuration.depth) stages")
        }
        let source = try DatasetSource.detect(data, seed: seed)
        let dataset = try source.load(split)
        try vqvae.checkCompatible(dataset, source: source.name, trainedImageSize: VQVAE.trainedImageSize(file.metadata))
        return (vqvae, dataset, source.name)
    }
}

extension DatasetSplit: ExpressibleByArgument {}

