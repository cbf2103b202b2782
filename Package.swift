// swift-tools-version:6.0
import PackageDescription

// No `unsafeFlags` anywhere: they would stop this package from being used as a versioned dependency.
// The fast kernels get their vector instructions from per-function `target` attributes in the C
// target `CVQKernels` and pick an implementation at run time from the CPU's features (ARCHITECTURE.md).
let package = Package(
    name: "VQVAE",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "VQEngine", targets: ["VQEngine"]),
        .library(name: "VQNN", targets: ["VQNN"]),
        .library(name: "VQData", targets: ["VQData"]),
        .library(name: "VQModels", targets: ["VQModels"]),
        .library(name: "VQDownload", targets: ["VQDownload"]),
        .library(name: "VQMPI", targets: ["VQMPI"]),
        .executable(name: "vqvae", targets: ["vqvae"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // MD5 and SHA-256 for download checksums (BoringSSL on Linux, CryptoKit on Apple platforms);
        // only VQDownload uses it, so training code does not build it.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .target(name: "CVQKernels"),
        .target(name: "VQEngine", dependencies: ["CVQKernels"]),
        .target(name: "VQNN", dependencies: ["VQEngine"]),
        // MPI is opened at run time (dlopen), not linked: the package builds and runs without it.
        .target(name: "VQMPI", dependencies: ["VQNN"]),
        .systemLibrary(name: "CZlib"),
        // JPEG input through the system libjpeg-turbo (README: Set-up says what to install).
        .systemLibrary(
            name: "CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"]), .brew(["jpeg-turbo"])]),
        .target(name: "VQData", dependencies: ["VQEngine", "CZlib", "CJPEG"]),
        .target(name: "VQModels", dependencies: ["VQEngine", "VQNN", "VQData"]),
        .target(name: "VQDownload", dependencies: ["VQData", .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "vqvae",
            dependencies: [
                "VQEngine",
                "VQNN",
                "VQData",
                "VQModels",
                "VQDownload",
                "VQMPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "_VQTestSupport", dependencies: ["VQEngine", "VQNN"], path: "Tests/_VQTestSupport"),
        .testTarget(
            name: "VQEngineTests", dependencies: ["VQEngine", "VQData", "_VQTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "VQNNTests", dependencies: ["VQNN", "VQData", "_VQTestSupport"]),
        .testTarget(name: "VQDataTests", dependencies: ["VQData", "_VQTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "VQDownloadTests", dependencies: ["VQDownload", "VQData", "_VQTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "vqvaeTests", dependencies: ["vqvae", "VQData", "VQEngine", "VQModels", "_VQTestSupport"]),
        .testTarget(name: "VQModelsTests", dependencies: ["VQModels", "_VQTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VQMPITests", dependencies: ["VQMPI", "_VQTestSupport"]),
    ]
)
