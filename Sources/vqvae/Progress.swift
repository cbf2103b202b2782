#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine
import VQModels

/// Renders training progress: a live bar with ETA and losses on a terminal, plain lines otherwise.
/// Written to standard error so `--json` output on standard output stays one clean line.
struct ProgressRenderer {
    let totalSteps: Int
    /// The steps already done when this process started (non-zero after `--resume`); the ETA counts
    /// only the steps run since.
    let firstStep: Int
    let isTerminal = isatty(STDERR_FILENO) == 1
    let plainEvery: Int
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(totalSteps: Int, firstStep: Int = 0, plainEvery: Int) {
        self.totalSteps = totalSteps
        self.firstStep = firstStep
        self.plainEvery = max(plainEvery, 1)
        start = clock.now
    }

    /// Notes a periodic save: a plain line when not on a terminal (the bar shows the next step anyway).
    func saved(step: Int, folder: String) {
        if !isTerminal { writeError("saved \(folder) at step \(step)\n") }
    }

    func update(_ report: TrainingStepReport) {
        let parts = report.reconstructionParts
        let audio = parts.isEmpty ? "" : " (wave \(format(parts["waveform"] ?? 0, 4)), conv \(format(parts["spectral_convergence"] ?? 0, 3)), logmag \(format(parts["log_magnitude"] ?? 0, 3))\(parts["log_mel"].map { ", logmel \(format($0, 3))" } ?? ""))"
        let losses = "recon \(format(report.reconstructionLoss, 4))\(audio) codebook \(format(report.codebookLoss, 4)) commit \(format(report.commitmentLoss, 4)) perplexity \(format(report.perplexity, 1))\(parts["speaker_adversary"].map { " adversary \(format($0, 3))" } ?? "")"
        update(step: report.step, summary: losses, rate: "\(Int(report.imagesPerSecond)) img/s")
    }

    /// Renders step `step` with `summary` (the losses) and `rate` (e.g. "420 img/s").
    func update(step: Int, summary: String, rate: String) {
        let elapsed = (clock.now - start).seconds
        let remaining = elapsed / Double(max(step - firstStep, 1)) * Double(totalSteps - step)
        if isTerminal {
            let width = 24, filled = width * step / max(totalSteps, 1)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "\(bar) \(step)/\(totalSteps)  ETA \(clockTime(remaining))  \(summary)  \(rate)"
            // Cut to the terminal's width: a wrapped line would break the redraw in place.
            writeError("\r\u{1B}[2K" + String(line.prefix(max(terminalColumns() - 1, 20))))
            if step == totalSteps { writeError("\n") }
        } else if step % plainEvery == 0 || step == totalSteps || step == firstStep + 1 {
            writeError("step \(step)/\(totalSteps) \(summary) \(rate) eta \(clockTime(remaining))\n")
        }
    }
}

/// The width of the terminal on standard error (80 when unknown).
func terminalColumns() -> Int {
    var size = winsize()
    guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
}

/// Writes to standard error unbuffered (file descriptor 2, no shared C stream state).
func writeError(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

func format(_ value: some BinaryFloatingPoint, _ digits: Int) -> String {
    let scale = Double(pow(10, Double(digits)))
    let rounded = (Double(value) * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}

func clockTime(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "--:--" }
    let total = Int(seconds.rounded())
    return total >= 3600 ? "\(total / 3600)h\(String(twoDigits: (total / 60) % 60))m" : "\(total / 60):\(String(twoDigits: total % 60))"
}

extension String {
    init(twoDigits value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
