import EparaCore
import Histogram
import XCTest

@testable import EparaReport
@testable import EparaServe

final class PercentileTests: XCTestCase {
    /// Latencies recorded the way `serve` records them, carried through the Run's buckets and
    /// merged by `report`, give percentiles within HdrHistogram's precision (2 significant
    /// digits: 1%) of the exact ones.
    func testPercentilesFromRunBucketsMatchAnExactComputation() {
        var random = SeededRandom(seed: 42)
        var exact: [Double] = []
        var a = Recorder.latencyHistogram(), b = Recorder.latencyHistogram()
        for i in 0..<200_000 {
            // Log-normal around 40 ms with a heavy tail, in two services.
            let ms = exp(log(40) + 0.9 * random.normal())
            exact.append(ms)
            if i % 3 == 0 { _ = a.record(UInt64((ms * 1000).rounded())) } else { _ = b.record(UInt64((ms * 1000).rounded())) }
        }
        exact.sort()
        func buckets(_ h: Histogram<UInt64>) -> [[Double]] { h.recordedValues().map { [Double($0.value) / 1000, Double($0.count)] } }
        var merged = Analysis.histogram(buckets(a))
        merged.add(Analysis.histogram(buckets(b)))
        XCTAssertEqual(merged.totalCount, 200_000)
        let summary = Analysis.summary(merged)!
        for (p, value) in [(50.0, summary.p50), (90, summary.p90), (99, summary.p99), (99.9, summary.p999)] {
            let rank = Int((p / 100 * Double(exact.count)).rounded(.up)) - 1
            XCTAssertEqual(value, exact[rank], accuracy: exact[rank] * 0.01 + 0.002, "p\(p)")
        }
        XCTAssertEqual(summary.max, exact.last!, accuracy: exact.last! * 0.01)
        let cdf = Analysis.cdf(merged)
        XCTAssertEqual(cdf.count, 102)
        XCTAssertEqual(cdf.first { $0.fraction == 0.5 }!.latencyMs, summary.p50)
        XCTAssertTrue(zip(cdf, cdf.dropFirst()).allSatisfy { $0.latencyMs <= $1.latencyMs }, "a CDF never decreases")
    }
}

final class ComparisonTests: XCTestCase {
    func run(
        _ label: String, policy: String, goodput: Double, attainment: Double, p99: Double?, offered: Double = 100,
        categories: [String: Double] = [:], workload: String = "w", trace: String = "t"
    ) -> RunReport {
        var counts = Counts()
        counts.arrivals = Int(offered * 10)
        counts.completedInSlo = Int(goodput * 10)
        let latency = p99.map { LatencySummary(count: 1, mean: $0, p50: $0, p90: $0, p99: $0, p999: $0, max: $0) }
        func metrics(_ g: Double) -> Metrics {
            Metrics(counts: counts, goodputPerS: g, throughputPerS: g, attainment: attainment, dropReasons: [:], failReasons: [:], latencyMs: latency)
        }
        return RunReport(
            label: label, source: label, policy: policy, engine: "sim", seed: 1, planDigest: label, workloadDigest: workload,
            traceDigest: trace, durationS: 10, offeredPerS: offered, predictedGoodputPerS: nil, summary: metrics(goodput),
            categories: categories.map { CategoryMetrics(category: $0.key, services: [], metrics: metrics($0.value), latencyCdf: []) },
            services: [], nodes: [], windows: [])
    }

    func testRatiosAgainstTheBaseline() {
        let epara = run(
            "epara", policy: "epara", goodput: 630, attainment: 0.9, p99: 80,
            categories: ["latency/single-gpu": 54, "frequency/single-gpu": 560])
        let alpa = run(
            "alpaserve", policy: "alpaserve", goodput: 420, attainment: 0.6, p99: 100,
            categories: ["latency/single-gpu": 54, "frequency/single-gpu": 350])
        let local = run("local", policy: "local", goodput: 0, attainment: 0, p99: nil, categories: ["latency/single-gpu": 0])
        let comparison = Compare.comparison([epara, alpa, local], baseline: alpa, forced: false)
        XCTAssertEqual(comparison.baseline, "alpaserve")
        XCTAssertEqual(comparison.rows[0].goodputRatio, 1.5)
        XCTAssertEqual(comparison.rows[0].attainmentRatio, 1.5)
        XCTAssertEqual(comparison.rows[0].p99Ratio, 0.8)
        XCTAssertEqual(comparison.rows[0].goodputRatioByCategory, ["latency/single-gpu": 1, "frequency/single-gpu": 1.6])
        XCTAssertEqual(comparison.rows[1].goodputRatio, 1)
        XCTAssertEqual(comparison.rows[2].goodputRatio, 0)
        XCTAssertNil(comparison.rows[2].p99Ratio, "no latency, no ratio")
        // A baseline with no goodput gives no ratio rather than infinity.
        XCTAssertNil(Compare.comparison([epara], baseline: local, forced: false).rows[0].goodputRatio)
    }

    func testRunsOfDifferentWorkloadsOrTracesAreNotComparable() {
        let a = run("a", policy: "epara", goodput: 1, attainment: 1, p99: 1)
        XCTAssertNoThrow(try Compare.checkComparable([a, run("b", policy: "local", goodput: 1, attainment: 1, p99: 1)], sameTrace: true))
        let otherTrace = run("c", policy: "local", goodput: 1, attainment: 1, p99: 1, trace: "t2")
        XCTAssertThrowsError(try Compare.checkComparable([a, otherTrace], sameTrace: true)) { error in
            XCTAssertEqual((error as! MismatchError).label, "c")
            XCTAssertTrue((error as! MismatchError).message.contains("replayed another trace"))
        }
        XCTAssertNoThrow(try Compare.checkComparable([a, otherTrace], sameTrace: false), "a sweep varies the load, hence the trace")
        let otherWorkload = run("d", policy: "epara", goodput: 1, attainment: 1, p99: 1, workload: "w2")
        XCTAssertThrowsError(try Compare.checkComparable([a, otherWorkload], sameTrace: false))
    }

    func testSweepFindsTheHighestRateAtTheTargetAttainment() {
        let points = [(100.0, 1.0), (200, 0.995), (300, 0.991), (400, 0.95), (500, 0.7)]
        let runs = points.reversed().map { run("x\($0.0)", policy: "epara", goodput: $0.0 * $0.1, attainment: $0.1, p99: nil, offered: $0.0) }
        let sweep = Compare.sweep(runs, target: 0.99)
        XCTAssertEqual(sweep.points.map(\.offeredPerS), [100, 200, 300, 400, 500])
        XCTAssertEqual(sweep.maxSustainedPerS, 300)
        // 0.991 at 300 and 0.95 at 400: the line crosses 0.99 at 300 + 100 · 0.001 / 0.041.
        XCTAssertEqual(sweep.interpolatedPerS!, 300 + 100 * 0.001 / 0.041, accuracy: 1e-3)
        let overloaded = [300.0, 400].map { run("y\($0)", policy: "epara", goodput: $0 * 0.9, attainment: 0.9, p99: nil, offered: $0) }
        let none = Compare.sweep(overloaded, target: 0.99)
        XCTAssertNil(none.maxSustainedPerS, "no run met the target")
        XCTAssertNil(none.interpolatedPerS)
    }

    /// What a reader needs to read the numbers: units, which way a ratio is better, that a
    /// total mixes requests and frames, and "-" where nothing arrived (not an attainment of 0).
    func testWordingSaysUnitsDirectionAndNothingArrived() {
        var epara = run(
            "epara", policy: "epara", goodput: 630, attainment: 0.9, p99: 80,
            categories: ["latency/single-gpu": 54, "frequency/single-gpu": 560])
        var idle = epara.categories[0]
        idle.category = "latency/multi-gpu"
        idle.metrics.counts = Counts()
        idle.metrics.attainment = 0
        epara.categories.append(idle)
        let text = TextReport.render(Report(runs: [epara]), style: .text)
        XCTAssertTrue(text.contains("goodput 630/s (requests and frames together)"), text)
        XCTAssertTrue(text.contains("latency ms (arrival to answer; for LLMs the whole generation)"), text)
        XCTAssertTrue(text.contains("TTFT p99 ms") && text.contains("TPOT p50 ms"), text)
        let idleRow = text.split(separator: "\n").first { $0.hasPrefix("latency/multi-gpu") }.map(String.init) ?? ""
        XCTAssertEqual(idleRow.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).first, "-", idleRow)
        let alpa = run("alpaserve", policy: "alpaserve", goodput: 420, attainment: 0.6, p99: 100)
        let comparison = TextReport.render(
            Report(runs: [epara, alpa], comparison: Compare.comparison([epara, alpa], baseline: alpa, forced: false)),
            style: .text)
        XCTAssertTrue(comparison.contains("goodput and attainment higher is better, p99 latency lower is better"), comparison)
    }

    func testLabelsAreMadeUnique() {
        XCTAssertEqual(Compare.uniqueLabels(["epara", "local", "epara", "epara"]), ["epara", "local", "epara#2", "epara#3"])
    }

    func testReportRendersEveryFormat() {
        let epara = run("epara", policy: "epara", goodput: 630, attainment: 0.9, p99: 80, categories: ["latency/single-gpu": 54])
        let alpa = run("alpaserve", policy: "alpaserve", goodput: 420, attainment: 0.6, p99: 100, categories: ["latency/single-gpu": 54])
        let report = Report(runs: [epara, alpa], comparison: Compare.comparison([epara, alpa], baseline: alpa, forced: false))
        let text = TextReport.render(report, style: .text)
        XCTAssertTrue(text.hasPrefix("COMPARISON (baseline alpaserve)\n"), text)
        XCTAssertTrue(text.contains("\nepara      epara      630        ×1.5         0.9         ×1.5         80.0    ×0.8\n"), text)
        let markdown = TextReport.render(report, style: .markdown)
        XCTAssertTrue(markdown.contains("| run | policy | goodput/s | vs baseline |"), markdown)
        XCTAssertTrue(markdown.contains("| epara | epara | 630 | ×1.5 |"), markdown)
        let html = HTMLReport.render(report)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(html.contains("<script"), "no script")
        XCTAssertFalse(
            html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"),
            "nothing fetched from the network")
        XCTAssertFalse(html.contains("https://"))
        XCTAssertEqual(
            HTMLReport.chartTitles(report),
            [
                "Goodput over time", "Latency CDF: latency/single-gpu", "SLO attainment by category",
                "Goodput by category and policy",
            ])
    }
}
