import Testing
import VQData

@Suite struct ChartTests {
    @Test func frameMapsRangeEndsToThePlotAreaEdges() {
        let frame = ChartFrame(width: 200, height: 100, xRange: 0...10, yRange: 0.001...1, logarithmicY: true, yTicks: [0.001, 1])
        #expect(frame.pixelX(0) == frame.plotLeft && frame.pixelX(10) == frame.plotLeft + frame.plotWidth - 1)
        #expect(frame.pixelY(1) == frame.plotTop && frame.pixelY(0.001) == frame.plotTop + frame.plotHeight - 1)
        // 0.03162 is half-way between 1e-3 and 1 in log space.
        let middle = frame.pixelY(0.031_622_776)
        #expect(abs(middle - (frame.plotTop + (frame.plotHeight - 1) / 2)) <= 1)
    }

    @Test func ticksAndLabels() {
        #expect(ChartFrame.linearTicks(low: 0, high: 23) == [0, 5, 10, 15, 20, 25])
        #expect(ChartFrame.linearTicks(low: 0, high: 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        #expect(ChartFrame.logarithmicTicks(low: 0.002, high: 0.5) == [0.001, 0.01, 0.1, 1])
        #expect(ChartFrame.label(0.001) == "1E-3" && ChartFrame.label(250) == "250" && ChartFrame.label(0.25) == "0.25")
        #expect(ChartFrame.label(0.1) == "0.1" && ChartFrame.label(0.01) == "0.01" && ChartFrame.label(1e5) == "1E5")
        #expect(ChartFrame.label(1e6) == "1E6" && ChartFrame.label(0) == "0" && ChartFrame.label(-2.5) == "-2.5")
    }

    @Test func lineChartDrawsItsSeriesInItsColour() {
        let chart = LineChart(title: "T", series: [.init(name: "a", color: .blue, x: [0, 10], y: [0.5, 0.5])], logarithmicY: false)
        let image = chart.render(width: 200, height: 120)
        let frame = chart.frame(width: 200, height: 120)
        let row = frame.pixelY(0.5)
        // The horizontal line at y = 0.5 is blue across the plot, outside the legend's corner.
        for x in stride(from: frame.plotLeft, to: frame.plotLeft + frame.plotWidth / 2, by: 7) {
            #expect(image.pixel(x: x, y: row) == [0, 114, 178])
        }
        #expect(image.pixel(x: frame.plotLeft + 3, y: row + 3) != [0, 114, 178])
        // The axes are black: the x axis is the row under the plot area.
        #expect(image.pixel(x: frame.plotLeft + 5, y: frame.plotTop + frame.plotHeight) == [0, 0, 0])
    }

    @Test func logarithmicLineChartSkipsNonPositiveValues() {
        let chart = LineChart(title: "", series: [.init(name: "", color: .green, x: [1, 2, 3], y: [0.1, 0, 0.01])], logarithmicY: true)
        let image = chart.render(width: 120, height: 80)
        let frame = chart.frame(width: 120, height: 80)
        #expect(frame.yRange == 0.01...0.1)
        let green = RasterColor.green.bytes(channels: 3)
        #expect(image.pixel(x: frame.pixelX(1), y: frame.pixelY(0.1)) == green)
        #expect(image.pixel(x: frame.pixelX(3), y: frame.pixelY(0.01)) == green)
        // No line joins the two points across the skipped zero: the middle column has no green.
        let middle = frame.pixelX(2)
        #expect((frame.plotTop..<(frame.plotTop + frame.plotHeight)).allSatisfy { image.pixel(x: middle, y: $0) != green })
    }

    @Test func barChartBarsAreProportionalAndEmptyBarsStayWhite() {
        let chart = BarChart(title: "", values: [4, 0, 2], color: .orange)
        let image = chart.render(width: 160, height: 100)
        let frame = chart.frame(width: 160, height: 100)
        let bottom = frame.plotTop + frame.plotHeight - 1
        let orange = RasterColor.orange.bytes(channels: 3)
        func filledHeight(_ bar: Int) -> Int {
            let x = chart.columns(ofBar: bar, frame: frame).lowerBound + 1
            return (frame.plotTop...bottom).filter { image.pixel(x: x, y: $0) == orange }.count
        }
        #expect(filledHeight(0) == bottom - frame.pixelY(4) + 1)
        #expect(filledHeight(1) == 0)
        #expect(abs(filledHeight(2) * 2 - filledHeight(0)) <= 2)
        // Bars are separated by a white column.
        #expect(image.pixel(x: chart.columns(ofBar: 0, frame: frame).upperBound - 1, y: frame.pixelY(0.5)) == [255, 255, 255])
    }
}
