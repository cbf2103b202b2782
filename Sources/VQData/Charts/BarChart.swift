/// A bar chart of non-negative values (for example how often each code was used), drawn into an RGB
/// `RasterImage`: bar i covers an equal share of the plot width, its height proportional to value i
/// on a linear axis from 0.
public struct BarChart: Sendable {
    public var title: String
    public var values: [Double]
    public var color: RasterColor
    /// The labels under the first and the last bar.
    public var firstLabel: String
    public var lastLabel: String

    public init(title: String, values: [Double], color: RasterColor = .blue, firstLabel: String? = nil, lastLabel: String? = nil) {
        self.title = title
        self.values = values
        self.color = color
        self.firstLabel = firstLabel ?? "0"
        self.lastLabel = lastLabel ?? "\(max(values.count - 1, 0))"
    }

    /// The chart's frame for an image of `width`×`height` pixels.
    public func frame(width: Int, height: Int) -> ChartFrame {
        let largest = values.filter(\.isFinite).max() ?? 1
        let ticks = ChartFrame.linearTicks(low: 0, high: max(largest, 1))
        return ChartFrame(width: width, height: height, xRange: 0...Double(max(values.count, 1)),
                          yRange: ticks.first!...ticks.last!, logarithmicY: false, yTicks: ticks)
    }

    /// The columns of bar `index`: from its share's left edge up to the next bar's, at least one pixel.
    public func columns(ofBar index: Int, frame: ChartFrame) -> Range<Int> {
        let count = max(values.count, 1)
        let left = frame.plotLeft + index * frame.plotWidth / count
        let right = frame.plotLeft + (index + 1) * frame.plotWidth / count
        return left..<max(right, left + 1)
    }

    /// The chart as a `width`×`height` RGB image on white. Bars are separated by one white column
    /// when each is at least three pixels wide.
    public func render(width: Int, height: Int) -> RasterImage {
        var image = RasterImage(width: width, height: height, channels: 3, fill: 255)
        let frame = frame(width: width, height: height)
        frame.drawAxes(on: &image, title: title, xLabels: (firstLabel, lastLabel))
        let bottom = frame.plotTop + frame.plotHeight - 1
        for (index, value) in values.enumerated() where value.isFinite && value > 0 {
            let columns = columns(ofBar: index, frame: frame)
            let top = frame.pixelY(value)
            let barWidth = columns.count >= 3 ? columns.count - 1 : columns.count
            image.fillRectangle(x: columns.lowerBound, y: top, width: barWidth, height: bottom - top + 1, color)
        }
        return image
    }
}
