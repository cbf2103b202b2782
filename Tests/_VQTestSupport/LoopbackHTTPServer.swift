import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 file server on 127.0.0.1 for download tests: serves the files under a folder, answers
/// `Range: bytes=N-` with 206, a missing file with 404, and records every request it sees.
///
/// It listens on a port the system picks (port 0) and handles each connection on its own thread with
/// POSIX sockets; every answer closes its connection. `stop()` closes the listener and waits for the
/// accept loop to end.
public final class LoopbackHTTPServer: @unchecked Sendable {
    /// How the server misbehaves, to exercise the client's error paths.
    public enum Behaviour: Sendable {
        /// Answers like a normal file server.
        case normal
        /// Ignores `Range` headers and always sends the whole file with 200.
        case ignoreRanges
        /// The first `count` answers with a body announce the full length but close the connection after
        /// `afterBytes` bytes of the body; later answers are whole.
        case dropConnections(count: Int, afterBytes: Int)
    }

    /// One request line and the header the tests look at.
    public struct Request: Sendable, Equatable {
        /// The request target, e.g. `/fashion-mnist/t10k-labels-idx1-ubyte.gz`.
        public var path: String
        /// The `Range` header's value, when one was sent.
        public var range: String?

        public init(path: String, range: String?) {
            self.path = path
            self.range = range
        }
    }

    /// The port the server listens on.
    public let port: UInt16
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private let root: String
    private let listener: Int32
    private let lock = NSLock()
    private var recordedRequests: [Request] = []
    private var dropsLeft: Int
    private let behaviour: Behaviour
    private let acceptLoopEnded = DispatchSemaphore(value: 0)
    private var stopped = false

    /// Starts serving the files under `root` (requests map `/a/b` to `root/a/b`).
    public init(root: String, behaviour: Behaviour = .normal) throws {
        self.root = root
        self.behaviour = behaviour
        if case .dropConnections(let count, _) = behaviour { dropsLeft = count } else { dropsLeft = 0 }
        #if canImport(Glibc)
        let socketType = Int32(SOCK_STREAM.rawValue)
        #else
        let socketType = SOCK_STREAM
        #endif
        let descriptor = socket(AF_INET, socketType, 0)
        guard descriptor >= 0 else { throw ServerError("socket() failed: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw ServerError("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// Every request seen so far, in arrival order.
    public var requests: [Request] { lock.withLock { recordedRequests } }

    /// Stops accepting connections, waits for the accept loop to end and closes the listening socket;
    /// safe to call twice. Connections already accepted finish on their own threads.
    public func stop() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        acceptLoopEnded.wait()
        close(listener)
    }

    /// Accepts connections until `stop()`: waits at most 50 ms at a time, so the stop flag is seen
    /// without relying on a closed socket waking `accept` (which macOS does not do).
    private func acceptLoop() {
        defer { acceptLoopEnded.signal() }
        while !lock.withLock({ stopped }) {
            var waiting = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let thread = Thread { [self] in
                serve(connection)
                close(connection)
            }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        guard let head = readHead(connection) else { return }
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return send(connection, status: "400 Bad Request", headers: [], body: []) }
        let target = String(requestLine[1])
        let range = lines.dropFirst().first { $0.lowercased().hasPrefix("range:") }
            .map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) }
        lock.withLock { recordedRequests.append(Request(path: target, range: range)) }

        guard requestLine[0] == "GET" else { return send(connection, status: "405 Method Not Allowed", headers: [], body: []) }
        guard !target.contains(".."), let data = FileManager.default.contents(atPath: root + target),
              !isFolder(root + target) else {
            return send(connection, status: "404 Not Found", headers: ["Content-Type: text/plain"], body: Array("not found\n".utf8))
        }
        let file = [UInt8](data)
        var first = 0
        if let range, case .normal = behaviour {
            guard range.hasPrefix("bytes="), range.hasSuffix("-"), let start = Int(range.dropFirst(6).dropLast()) else {
                return send(connection, status: "400 Bad Request", headers: [], body: [])
            }
            guard start < file.count else {
                return send(connection, status: "416 Range Not Satisfiable", headers: ["Content-Range: bytes */\(file.count)"], body: [])
            }
            first = start
        } else if let range, case .dropConnections = behaviour, range.hasPrefix("bytes="), let start = Int(range.dropFirst(6).dropLast()), start < file.count {
            first = start
        }
        let body = Array(file[first...])
        var headers = ["Content-Type: application/octet-stream", "Accept-Ranges: bytes"]
        if first > 0 { headers.append("Content-Range: bytes \(first)-\(file.count - 1)/\(file.count)") }
        let dropAfter: Int? = lock.withLock {
            guard case .dropConnections(_, let afterBytes) = behaviour, dropsLeft > 0 else { return nil }
            dropsLeft -= 1
            return afterBytes
        }
        send(connection, status: first > 0 ? "206 Partial Content" : "200 OK", headers: headers, body: body, stopAfter: dropAfter)
    }

    /// Reads up to the blank line ending the request head (at most 64 KiB).
    private func readHead(_ connection: Int32) -> String? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 1 << 16 {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            received += buffer[0..<count]
            if let text = String(bytes: received, encoding: .utf8), let end = text.range(of: "\r\n\r\n") {
                return String(text[..<end.lowerBound])
            }
        }
        return nil
    }

    /// Writes a response with `Content-Length` and `Connection: close`; with `stopAfter`, only that many
    /// body bytes are sent before the connection is closed.
    private func send(_ connection: Int32, status: String, headers: [String], body: [UInt8], stopAfter: Int? = nil) {
        let head = (["HTTP/1.1 \(status)", "Content-Length: \(body.count)", "Connection: close"] + headers)
            .joined(separator: "\r\n") + "\r\n\r\n"
        guard sendAll(connection, Array(head.utf8)) else { return }
        sendAll(connection, Array(body.prefix(stopAfter ?? body.count)))
        shutdown(connection, Int32(SHUT_WR))
    }

    @discardableResult
    private func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc_send(connection, $0.baseAddress! + offset, bytes.count - offset, flags) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    private func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// A server that could not start.
    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

private func Glibc_send(_ socket: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    #if canImport(Glibc)
    return Glibc.send(socket, buffer, count, flags)
    #else
    return Darwin.send(socket, buffer, count, flags)
    #endif
}
