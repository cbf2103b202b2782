import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VQData

/// One HTTP(S) GET written into a partial file, resuming with `Range: bytes=N-` when the partial file
/// already holds N bytes.
///
/// A 206 answer whose `Content-Range` starts at N is appended; a 200 answer (a server that ignores
/// ranges) restarts the file from zero; a 416 answer means the partial file is already whole (or longer
/// than the resource). Anything else is an error naming the URL and the status. Runs on URLSession
/// (libcurl on Linux) and blocks the calling thread until the transfer ends.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// How a transfer that did not throw ended.
    enum Outcome: Equatable {
        /// The server sent the rest of the file and the connection closed cleanly.
        case complete
        /// The server answered 416 to the range request: nothing left to fetch at that offset.
        case rangeNotSatisfiable
    }

    /// A failed transfer: the message, and whether trying again (resuming) may help.
    struct Failure: Error {
        let error: DataError
        let retryable: Bool
    }

    private let url: String
    private let partialPath: String
    private let startOffset: Int64
    private let byteLimit: Int64
    private let progress: (_ receivedBytes: Int64, _ totalBytes: Int64?) -> Void
    private let finished = DispatchSemaphore(value: 0)

    // Touched only on the session's serial delegate queue until `finished` is signalled, then only by
    // the waiting thread: the semaphore orders the two.
    private var descriptor: Int32 = -1
    private var receivedBytes: Int64 = 0
    private var totalBytes: Int64?
    private var outcome: Outcome = .complete
    private var failure: Failure?
    private var responded = false

    private init(url: String, partialPath: String, startOffset: Int64, byteLimit: Int64,
                 progress: @escaping (Int64, Int64?) -> Void) {
        self.url = url
        self.partialPath = partialPath
        self.startOffset = startOffset
        self.byteLimit = byteLimit
        self.progress = progress
    }

    /// Fetches `url` into `partialPath`, asking for the bytes from `startOffset` on when it is above zero.
    /// `progress` gets the bytes now in the partial file and the expected total, when known.
    static func run(url: String, into partialPath: String, startOffset: Int64, byteLimit: Int64,
                    timeout: Double, progress: @escaping (Int64, Int64?) -> Void) throws(Failure) -> Outcome {
        guard let address = URL(string: url), let scheme = address.scheme?.lowercased(),
              scheme == "http" || scheme == "https", address.host != nil else {
            throw Failure(error: DataError(url, "is not an http or https URL"), retryable: false)
        }
        var request = URLRequest(url: address, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")  // the bytes as stored, never re-encoded
        request.setValue("vqvae-datasets", forHTTPHeaderField: "User-Agent")
        if startOffset > 0 { request.setValue("bytes=\(startOffset)-", forHTTPHeaderField: "Range") }

        let transfer = HTTPTransfer(url: url, partialPath: partialPath, startOffset: startOffset,
                                    byteLimit: byteLimit, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        session.dataTask(with: request).resume()
        transfer.finished.wait()
        session.finishTasksAndInvalidate()
        if let failure = transfer.failure { throw failure }
        return transfer.outcome
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let response = response as? HTTPURLResponse else {
            fail("the answer is not HTTP", retryable: false)
            return stop(dataTask, completionHandler)
        }
        responded = true
        let length = response.expectedContentLength > 0 ? response.expectedContentLength : nil
        switch response.statusCode {
        case 200:
            // A full answer: the server ignored the range (or none was asked), so start from zero.
            guard openPartialFile(truncating: true) else { return stop(dataTask, completionHandler) }
            receivedBytes = 0
            totalBytes = length
        case 206:
            let contentRange = response.value(forHTTPHeaderField: "Content-Range") ?? ""
            guard let range = ContentRange(contentRange), range.first == startOffset else {
                fail("server answered 206 with Content-Range \"\(contentRange)\", expected bytes from \(startOffset)", retryable: false)
                return stop(dataTask, completionHandler)
            }
            guard openPartialFile(truncating: startOffset == 0) else { return stop(dataTask, completionHandler) }
            receivedBytes = startOffset
            totalBytes = range.completeLength ?? length.map { $0 + startOffset }
        case 416 where startOffset > 0:
            outcome = .rangeNotSatisfiable
            return stop(dataTask, completionHandler)
        default:
            let reason = HTTPURLResponse.localizedString(forStatusCode: response.statusCode)
            fail("server answered \(response.statusCode) \(reason.capitalized)", retryable: response.statusCode >= 500)
            return stop(dataTask, completionHandler)
        }
        if let totalBytes, totalBytes > byteLimit {
            fail("server announces \(totalBytes) bytes, more than the \(byteLimit) allowed for this file", retryable: false)
            return stop(dataTask, completionHandler)
        }
        progress(receivedBytes, totalBytes)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, descriptor >= 0 else { return }
        guard receivedBytes + Int64(data.count) <= byteLimit else {
            fail("server sent more than the \(byteLimit) bytes allowed for this file", retryable: false)
            return dataTask.cancel()
        }
        let written = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let count = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        guard written else {
            failure = Failure(error: DataError(partialPath, "write failed (\(systemErrorText()))"), retryable: false)
            return dataTask.cancel()
        }
        receivedBytes += Int64(data.count)
        progress(receivedBytes, totalBytes)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if descriptor >= 0 {
            if failure == nil && error == nil && fsync(descriptor) != 0 {
                failure = Failure(error: DataError(partialPath, "flush to disk failed (\(systemErrorText()))"), retryable: false)
            }
            close(descriptor)
            descriptor = -1
        }
        if let error, failure == nil, outcome == .complete {
            if responded {
                fail("download stopped after \(receivedBytes) bytes (\(describe(error)))", retryable: true)
            } else {
                // No answer at all: retrying helps only when the network may come back.
                let transient = (error as? URLError).map { [.timedOut, .networkConnectionLost].contains($0.code) } ?? false
                fail("request failed (\(describe(error)))", retryable: transient)
            }
        } else if error == nil, failure == nil, outcome == .complete, let totalBytes, receivedBytes != totalBytes {
            fail("download stopped after \(receivedBytes) of \(totalBytes) bytes", retryable: true)
        }
        finished.signal()
    }

    /// Refuses the body and ends the task (both, so every Foundation version reports completion).
    private func stop(_ dataTask: URLSessionDataTask, _ completionHandler: (URLSession.ResponseDisposition) -> Void) {
        completionHandler(.cancel)
        dataTask.cancel()
    }

    private func openPartialFile(truncating: Bool) -> Bool {
        descriptor = open(partialPath, O_WRONLY | O_CREAT | (truncating ? O_TRUNC : O_APPEND), 0o644)
        guard descriptor >= 0 else {
            failure = Failure(error: DataError(partialPath, "cannot create (\(systemErrorText()))"), retryable: false)
            return false
        }
        return true
    }

    private func fail(_ problem: String, retryable: Bool) {
        if failure == nil { failure = Failure(error: DataError(url, problem), retryable: retryable) }
    }
}

/// The parts of a `Content-Range: bytes FIRST-LAST/COMPLETE` header this client needs.
struct ContentRange: Equatable {
    var first: Int64
    var last: Int64
    /// The whole resource's length, nil when the server wrote `*`.
    var completeLength: Int64?

    init(first: Int64, last: Int64, completeLength: Int64?) {
        self.first = first
        self.last = last
        self.completeLength = completeLength
    }

    /// Parses the header's value; nil when it is not a satisfied byte range.
    init?(_ header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        let parts = trimmed.dropFirst(6).split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let bounds = parts[0].split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first <= last else { return nil }
        self.first = first
        self.last = last
        completeLength = parts[1] == "*" ? nil : Int64(parts[1])
        if parts[1] != "*" && completeLength == nil { return nil }
    }
}

/// A short reason for a transport error, without Foundation's generic wrapping text.
private func describe(_ error: Error) -> String {
    guard let error = error as? URLError else { return "\(error)" }
    switch error.code {
    case .cannotFindHost, .dnsLookupFailed: return "host not found"
    case .cannotConnectToHost: return "cannot connect to the host"
    case .timedOut: return "timed out"
    case .networkConnectionLost: return "connection lost"
    case .notConnectedToInternet: return "no network connection"
    case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
         .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
        return "TLS connection failed"
    default: return "network error \(error.code.rawValue)"
    }
}
