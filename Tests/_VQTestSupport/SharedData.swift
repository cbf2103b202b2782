/// Locations of the real datasets kept beside the project (never inside it): `../shared/data`.
public enum SharedData {
    /// The repository root, found from this file's path (Tests/_VQTestSupport/SharedData.swift).
    public static let repositoryRoot: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The folder holding the datasets: `$VQVAE_SHARED_DATA` when set (for checkouts that do not sit
    /// beside `shared/`, such as git worktrees), else `../shared/data` relative to the repository root.
    public static let folder: String = {
        if let override = getenv("VQVAE_SHARED_DATA"), override.pointee != 0 { return String(cString: override) }
        return repositoryRoot + "/../shared/data"
    }()

    /// `<folder>/<name>`: by default `../shared/data/<name>` relative to the repository root.
    public static func path(_ name: String) -> String { folder + "/" + name }

    /// Whether `../shared/data/<name>` exists; tests that need it are skipped, visibly, when not.
    public static func isAvailable(_ name: String) -> Bool {
        var isDirectory = false
        return fileExists(path(name), &isDirectory)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func fileExists(_ path: String, _ isDirectory: inout Bool) -> Bool {
    var status = stat()
    guard stat(path, &status) == 0 else { return false }
    isDirectory = (status.st_mode & S_IFMT) == S_IFDIR
    return true
}
