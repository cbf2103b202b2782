/// A line chart of one or more series sharing the axes, drawn into an RGB `RasterImage`.
///
/// Consecutive points of a series are joined by straight lines. With `logarithmicY`, points whose y is
/// not positive (or any non-finite point) are skipped and break the line; the y range is widened to
/// whole decades. A legend (colour square and name) sits at the top right of the plot area.
public struct LineChart: Sendable {
    /// One named line: points (x, y) in drawing order.
    public struct Series: Sendable {
        public var name: String
        public var color: RasterColor
        public var x: [Double]
        public var y: [Double]

        public init(name: String, color: RasterColor, x: [Double], y: [Double]) {
            precondition(x.count == y.count, "LineChart.Series: \(x.count) x values for \(y.count) y values")
            self.name = name
            self.color = color
            self.x = x
            self.y = y
        }
    }

    public var title: String
    public var series: [Series]
    public var logarithmicY: Bool

    public init(title: String, series: [Series], logarithmicY: Bool) {
        self.title = title
        self.series = series
        self.logarithmicY = logarithmicY
    }

    /// Whether a point is drawn.
    func isDrawn(_ x: Double, _ y: Double) -> Bool { x.isFinite && y.isFinite && (!logarithmicY || y > 0) }

    /// The chart's frame for an image of `width`×`height` pixels.
    public func frame(width: Int, height: Int) -> ChartFrame {
        var xs: [Double] = [], ys: [Double] = []
        for line in series {
            for (x, y) in zip(line.x, line.y) where isDrawn(x, y) {
                xs.append(x)
                ys.append(y)
            }
        }
        let xRange = (xs.min() ?? 0)...max(xs.max() ?? 1, (xs.min() ?? 0) + 1)
        let ticks = logarithmicY
            ? ChartFrame.logarithmicTicks(low: ys.min() ?? 0.1, high: ys.max() ?? 1)
            : ChartFrame.linearTicks(low: min(0, ys.min() ?? 0), high: ys.max() ?? 1)
        return ChartFrame(width: width, height: height, xRange: xRange, yRange: ticks.first!...ticks.last!,
                          logarithmicY: logarithmicY, yTicks: ticks)
    }

    /// The chart as a `width`×`height` RGB image on white.
    public func render(width: Int, height: Int) -> RasterImage {
        var image = RasterImage(width: width, height: height, channels: 3, fill: 255)
        let frame = frame(width: width, height: height)
        frame.drawAxes(on: &image, title: title,
                       xLabels: (ChartFrame.label(frame.xRange.lowerBound), ChartFrame.label(frame.xRange.upperBound)))
        for line in series {
            var previous: (x: Int, y: Int)?
            for (x, y) in zip(line.x, line.y) {
                guard isDrawn(x, y) else { previous = nil; continue }
                let point = (x: frame.pixelX(x), y: frame.pixelY(y))
                if let previous {
                    image.drawLine(fromX: previous.x, y: previous.y, toX: point.x, y: point.y, line.color)
                } else {
                    image.setPixel(x: point.x, y: point.y, line.color)
                }
                previous = point
            }
        }
        drawLegend(on: &image, frame: frame)
        return image
    }

    func drawLegend(on image: inout RasterImage, frame: ChartFrame) {
        let scale = ChartFrame.labelScale
        let rowHeight = (BitmapFont.glyphHeight + 2) * scale
        let textWidth = series.map { BitmapFont.width(of: $0.name, scale: scale) }.max() ?? 0
        let left = frame.plotLeft + frame.plotWidth - textWidth - 4 * scale - 8
        for (index, line) in series.enumerated() {
            let top = frame.plotTop + 4 + index * rowHeight
            image.fillRectangle(x: left, y: top, width: 3 * scale, height: BitmapFont.glyphHeight * scale, line.color)
            image.drawText(line.name, x: left + 4 * scale, y: top, scale: scale, .black)
        }
    }
}
