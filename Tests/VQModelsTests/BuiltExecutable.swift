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

    /// Runs `executable` (default: `path`) with `arguments`, `environment` added to this process's, in
    /// `folder` when given, to the end; returns the exit status and standard error.
    static func run(_ arguments: [String], executable: String? = nil, environment: [String: String] = [:],
                    in folder: String? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? path!)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
