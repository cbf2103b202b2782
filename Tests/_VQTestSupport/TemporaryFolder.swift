import Foundation

/// Fresh folders for tests under the system's temporary folder, removed with everything in them
/// when the test process exits (so a test that fails or forgets leaves nothing behind).
public enum TemporaryFolder {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String] = []
    nonisolated(unsafe) private static var registered = false

    /// Creates an empty folder named `<prefix>-XXXXXX` and returns its path; nil if the system
    /// refuses (the callers turn that into their own error).
    public static func make(prefix: String) -> String? {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return nil }
        let path = String(cString: created)
        lock.withLock {
            made.append(path)
            if !registered {
                registered = true
                atexit { TemporaryFolder.removeAll() }
            }
        }
        return path
    }

    /// Removes every folder `make` created.
    public static func removeAll() {
        let paths = lock.withLock { () -> [String] in
            defer { made.removeAll() }
            return made
        }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}
