#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The frame of a chart: where the plot area sits in the image, the data ranges of both axes, and
/// the mapping from data values to pixel positions (linear, or base-10 logarithmic on y).
///
/// The plot area spans x pixels `plotLeft ... plotLeft + plotWidth − 1` and y pixels
/// `plotTop ... plotTop + plotHeight − 1`; y grows downwards in the image, so the largest value maps
/// to `plotTop`. Labels use `BitmapFont` at `labelScale`.
public struct ChartFrame: Equatable, Sendable {
    public let plotLeft: Int
    public let plotTop: Int
    public let plotWidth: Int
    public let plotHeight: Int
    public let xRange: ClosedRange<Double>
    public let yRange: ClosedRange<Double>
    /// y values map through log10 (the range must then be positive).
    public let logarithmicY: Bool
    /// The y values that get a grid line and a label.
    public let yTicks: [Double]
    public static let labelScale = 2

    /// A frame for an image of `width`×`height` pixels, leaving room for a title above, y labels on
    /// the left and x labels below.
    public init(width: Int, height: Int, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
                logarithmicY: Bool, yTicks: [Double]) {
        precondition(!logarithmicY || yRange.lowerBound > 0, "ChartFrame: a logarithmic axis needs a positive range")
        let labelWidth = yTicks.map { BitmapFont.width(of: ChartFrame.label($0), scale: ChartFrame.labelScale) }.max() ?? 0
        plotLeft = labelWidth + 8
        plotTop = 26
        plotWidth = max(1, width - plotLeft - 12)
        plotHeight = max(1, height - plotTop - 24)
        self.xRange = xRange
        self.yRange = yRange
        self.logarithmicY = logarithmicY
        self.yTicks = yTicks
    }

    /// The image column of data value `x` (values outside the range land outside the plot area).
    public func pixelX(_ x: Double) -> Int {
        let span = xRange.upperBound - xRange.lowerBound
        let fraction = span > 0 ? (x - xRange.lowerBound) / span : 0.5
        return plotLeft + Int((fraction * Double(plotWidth - 1)).rounded())
    }

    /// The image row of data value `y`.
    public func pixelY(_ y: Double) -> Int {
        let (low, high, value) = logarithmicY
            ? (log10(yRange.lowerBound), log10(yRange.upperBound), log10(y))
            : (yRange.lowerBound, yRange.upperBound, y)
        let fraction = high > low ? (value - low) / (high - low) : 0.5
        return plotTop + plotHeight - 1 - Int((fraction * Double(plotHeight - 1)).rounded())
    }

    /// Draws the title, light grid lines with labels at `yTicks`, the two axes, and the x range's ends
    /// as labels under the x axis.
    public func drawAxes(on image: inout RasterImage, title: String, xLabels: (first: String, last: String)) {
        let scale = ChartFrame.labelScale
        let textHeight = BitmapFont.glyphHeight * scale
        image.drawText(title, x: plotLeft, y: 6, scale: scale, .black)
        for tick in yTicks {
            let row = pixelY(tick)
            image.drawLine(fromX: plotLeft, y: row, toX: plotLeft + plotWidth - 1, y: row, .lightGray)
            let text = ChartFrame.label(tick)
            image.drawText(text, x: plotLeft - 6 - BitmapFont.width(of: text, scale: scale), y: row - textHeight / 2, scale: scale, .darkGray)
        }
        let bottom = plotTop + plotHeight
        image.drawLine(fromX: plotLeft - 1, y: plotTop, toX: plotLeft - 1, y: bottom, .black)
        image.drawLine(fromX: plotLeft - 1, y: bottom, toX: plotLeft + plotWidth - 1, y: bottom, .black)
        image.drawText(xLabels.first, x: plotLeft, y: bottom + 6, scale: scale, .darkGray)
        image.drawText(xLabels.last, x: plotLeft + plotWidth - BitmapFont.width(of: xLabels.last, scale: scale),
                       y: bottom + 6, scale: scale, .darkGray)
    }

    /// Tick values for a linear axis from `low` to at least `high`: multiples of 1, 2 or 5 × 10ⁿ,
    /// about five of them, starting at `low` rounded down to a multiple.
    public static func linearTicks(low: Double, high: Double) -> [Double] {
        let span = high > low ? high - low : max(abs(high), 1)
        let rough = span / 5
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        let first = floor(low / step) * step
        var ticks: [Double] = []
        var value = first
        repeat {
            ticks.append(value)
            value += step
        } while ticks.last! < high && ticks.count < 20
        return ticks
    }

    /// Powers of ten covering `low ... high` (both positive), one per decade.
    public static func logarithmicTicks(low: Double, high: Double) -> [Double] {
        let first = Int(floor(log10(low))), last = max(Int(ceil(log10(high))), first + 1)
        return (first...last).map { pow(10, Double($0)) }
    }

    /// A short label for a tick value: integers as digits, powers of ten below 0.01 or above 10⁴ as
    /// `1E-3`, other values with up to three decimals (0.1 s on a time axis reads `0.1`).
    public static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let exponent = log10(abs(value))
        if exponent == exponent.rounded() && (exponent < -2 || exponent > 4) {
            return (value < 0 ? "-" : "") + "1E\(Int(exponent))"
        }
        if value == value.rounded() && abs(value) < 1e9 { return "\(Int(value))" }
        let thousandths = Int((value * 1000).rounded())
        var text = "\(abs(thousandths) / 1000)."
        let fraction = abs(thousandths) % 1000
        text += fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        while text.hasSuffix("0") { text.removeLast() }
        return (thousandths < 0 ? "-" : "") + text
    }
}
