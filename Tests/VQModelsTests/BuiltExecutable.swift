import Foundation

/// The built `vqvae` executable, for tests that run it as a user would.
enum BuiltExecutable {
    /// `vqvae` beside the test bundle (the build products folder `swift build --build-tests` fills).
    static let path: String? = {
        var candidates: [String] = []
        if let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((bundle as NSString).deletingLastPathComponent + "/vqvae")
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path + "/vqvae")
        candidates.append(Bundle.main.bundleURL.path + "/vqvae")
        // This file is Tests/VQModelsTests/…; the default debug build of the package sits in .build/debug.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.path + "/.build/debug/vqvae")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
}
