/// Locations of the real datasets kept beside the project (never inside it): `../shared/data`.
public enum SharedData {
    /// The repository root, found from this file's path (Tests/_VQTestSupport/SharedData.swift).
    public static let repositoryRoot: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// `../shared/data/<name>` relative to the repository root.
    public static func path(_ name: String) -> String { repositoryRoot + "/../shared/data/" + name }

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
