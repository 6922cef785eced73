import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

final class TraceTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func deployment() throws -> Deployment { Deployment(plan: try ServeFixtures.examplePlan()) }

    func all(_ source: inout some ArrivalSource) throws -> [Arrival] {
        var result: [Arrival] = []
        while let a = try source.next() { result.append(a) }
        return result
    }

    func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let error as InputError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    // MARK: epara's own formats

    func testCSVTraceReadsEveryColumnAndResolvesNamesAndSites() throws {
        let d = try deployment()
        let path = try file(
            "t.csv",
            """
            time,service,stream,origin,input_tokens,output_tokens
            0.5,chat,,gpu-server-a,800,120
            0.75,defect-detection,3,orin-nx-1,,
            1.0,photo-classify,,campus,,

            """)
        var trace = try CSVTrace(path: path, names: TraceNames(deployment: d), random: SeededRandom(seed: 1))
        let arrivals = try all(&trace)
        XCTAssertEqual(arrivals.count, 3)
        XCTAssertEqual(
            arrivals[0],
            Arrival(
                time: 0.5, service: d.serviceIndex["chat"]!, origin: d.nodeIndex["gpu-server-a"]!,
                inputTokens: 800, outputTokens: 120))
        XCTAssertEqual(arrivals[1].stream, 3)
        let campus = Set(d.nodes.indices.filter { d.nodes[$0].site == "campus" })
        XCTAssertTrue(arrivals[2].origin.map(campus.contains) ?? false, "a site resolves to one of its nodes")
    }

    func testCSVTraceErrorsAreLocated() throws {
        let d = try deployment()
        let names = TraceNames(deployment: d)
        let unknown = try file("unknown.csv", "time,service\n0.1,chat\n0.2,chatt\n")
        XCTAssertEqual(
            error {
                var t = try CSVTrace(path: unknown, names: names, random: SeededRandom(seed: 1))
                _ = try all(&t)
            },
            "\(unknown):3:5: error: service: unknown service 'chatt' (did you mean 'chat'?); the plan has big-chat, chat, code-assist, defect-detection, line-segmentation, photo-classify, robot-pick-segmentation, weld-inspection"
        )
        let backwards = try file("backwards.csv", "time,service\n2,chat\n1,chat\n")
        XCTAssertEqual(
            error {
                var t = try CSVTrace(path: backwards, names: names, random: SeededRandom(seed: 1))
                _ = try all(&t)
            }, "\(backwards):3:1: error: time: times must not decrease: 1.0 after 2.0")
        let column = try file("column.csv", "time,servce\n")
        XCTAssertEqual(
            error { _ = try CSVTrace(path: column, names: names, random: SeededRandom(seed: 1)) },
            "\(column):1:6: error: unknown column 'servce' (did you mean 'service'?); columns: time, service, stream, origin, input_tokens, output_tokens"
        )
        let notNumber = try file("nan.csv", "time,service\nsoon,chat\n")
        XCTAssertTrue(
            error {
                var t = try CSVTrace(path: notNumber, names: names, random: SeededRandom(seed: 1))
                _ = try all(&t)
            }.hasPrefix("\(notNumber):2:1: error: time: expected seconds since the start"))
    }

    func testJSONLinesTrace() throws {
        let d = try deployment()
        let path = try file(
            "t.jsonl",
            """
            {"time": 0.25, "service": "code-assist", "input_tokens": 2048, "output_tokens": 28, "origin": "gpu-server-b"}
            {"time": 0.5, "service": "weld-inspection", "stream": 0}

            """)
        var trace = try JSONLinesTrace(path: path, names: TraceNames(deployment: d), random: SeededRandom(seed: 1))
        let arrivals = try all(&trace)
        XCTAssertEqual(arrivals.map(\.time), [0.25, 0.5])
        XCTAssertEqual(arrivals[0].inputTokens, 2048)
        XCTAssertEqual(arrivals[1].stream, 0)
        let bad = try file("bad.jsonl", "{\"time\": 1, \"service\": \"chat\", \"tokens\": 3}\n")
        XCTAssertEqual(
            error {
                var t = try JSONLinesTrace(path: bad, names: TraceNames(deployment: d), random: SeededRandom(seed: 1))
                _ = try all(&t)
            }, "\(bad):1:1: error: tokens: unknown field 'tokens'")
    }

    // MARK: Production formats: Mooncake, BurstGPT, Azure Functions

    func testMooncakeTraceReadsTheReleasedRows() throws {
        let path = ServeFixtures.root.appendingPathComponent("examples/traces/mooncake_synthetic_trace_excerpt.jsonl").path
        var trace = try MooncakeTrace(path: path, services: [(index: 3, weight: 1)])
        let arrivals = try all(&trace)
        XCTAssertEqual(arrivals.count, 300)
        XCTAssertEqual(arrivals[0].time, 0)
        XCTAssertEqual(arrivals[0].inputTokens, 40_160)
        XCTAssertEqual(arrivals[0].outputTokens, 6)
        XCTAssertEqual(arrivals.last!.time, 86.79, accuracy: 1e-9, "timestamp 86790 ms")
        XCTAssertTrue(arrivals.allSatisfy { $0.service == 3 })
        // --rate-scale 2 replays it twice as fast.
        var fast = try MooncakeTrace(path: path, services: [(index: 3, weight: 1)], rateScale: 2)
        XCTAssertEqual(try all(&fast).last!.time, 43.395, accuracy: 1e-9)
    }

    func testBurstGPTRowsBecomeRequestsSharedByDemand() throws {
        let path = try file(
            "burst.csv",
            """
            Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
            5,ChatGPT,472,18,490,Conversation log
            5,GPT-4,1024,0,1024,API log
            6.25,ChatGPT,30,12,42,Conversation log
            9,ChatGPT,8,2,10,Conversation log

            """)
        var trace = try BurstGPTTrace(path: path, services: [(index: 0, weight: 1), (index: 1, weight: 1)])
        let arrivals = try all(&trace)
        XCTAssertEqual(arrivals.map(\.time), [5, 5, 6.25, 9], "seconds after the trace's start, kept as they are")
        XCTAssertEqual(arrivals.map(\.inputTokens), [472, 1024, 30, 8])
        XCTAssertEqual(arrivals.map(\.outputTokens), [18, 0, 12, 2])
        XCTAssertEqual(arrivals.map(\.service), [0, 1, 0, 1])
        var ended = try BurstGPTTrace(path: path, services: [(index: 0, weight: 1)], endS: 6)
        XCTAssertEqual(try all(&ended).count, 2)
    }

    func testAzureFunctionsCountsBecomeArrivalsWithinTheirMinutes() throws {
        let path = try file(
            "functions.csv",
            """
            HashOwner,HashApp,HashFunction,Trigger,1,2,3
            o1,a1,f1,http,3,0,2
            o1,a1,f2,timer,1,1,0
            o2,a2,f3,queue,4,0,0

            """)
        var trace = try AzureFunctionsTrace(path: path, services: [5, 7], random: SeededRandom(seed: 1))
        let arrivals = try all(&trace)
        // Functions are dealt whole: f1 and f3 to service 5, f2 to service 7.
        func count(_ service: ServiceIndex, minute: Int) -> Int {
            arrivals.filter { $0.service == service && $0.time >= Double(minute) * 60 && $0.time < Double(minute + 1) * 60 }.count
        }
        XCTAssertEqual([count(5, minute: 0), count(5, minute: 1), count(5, minute: 2)], [7, 0, 2])
        XCTAssertEqual([count(7, minute: 0), count(7, minute: 1), count(7, minute: 2)], [1, 1, 0])
        XCTAssertEqual(arrivals.count, 11)
        XCTAssertEqual(arrivals.map(\.time), arrivals.map(\.time).sorted(), "in time order")
        XCTAssertEqual(try AzureFunctionsTrace.span(path: path), 180)
        var again = try AzureFunctionsTrace(path: path, services: [5, 7], random: SeededRandom(seed: 1))
        XCTAssertEqual(try all(&again), arrivals, "deterministic with a seed")
    }

    /// Accounting: every row of a trace becomes an arrival — the rows at its last timestamp too,
    /// when the run lasts the trace's span — and each count of the Run equals the sum of its
    /// reasons. For every reader whose rows are requests.
    func testEveryTraceRowArrivesAndEveryCountAddsUp() throws {
        let plan = try ServeFixtures.examplePlan()
        let cases: [(name: String, binding: String, text: String, rows: Int)] = [
            ("epara.csv", "", "time,service\n0,photo-classify\n0.5,photo-classify\n2,photo-classify\n2,photo-classify\n2,photo-classify\n", 5),
            (
                "epara.jsonl", "",
                #"{"time": 0, "service": "photo-classify"}\#n{"time": 1.5, "service": "photo-classify"}\#n{"time": 1.5, "service": "photo-classify"}\#n"#,
                3
            ),
            (
                "azure.csv", "chat=",
                "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n2023-11-16 18:15:50.9951690,879,48\n",
                3
            ),
            (
                "mooncake.jsonl", "chat=",
                #"{"timestamp": 0, "input_length": 100, "output_length": 5, "hash_ids": [1]}\#n{"timestamp": 900, "input_length": 50, "output_length": 3, "hash_ids": [2]}\#n{"timestamp": 900, "input_length": 70, "output_length": 2, "hash_ids": [3]}\#n"#,
                3
            ),
            (
                "burstgpt.csv", "chat=",
                "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n0,ChatGPT,10,2,12,Conversation log\n3,ChatGPT,10,2,12,Conversation log\n3,GPT-4,10,2,12,API log\n",
                3
            ),
            ("functions.csv", "photo-classify=", "HashOwner,HashApp,HashFunction,Trigger,1,2\no1,a1,f1,http,3,4\no2,a2,f2,queue,0,2\n", 9),
        ]
        for c in cases {
            let path = try file(c.name, c.text)
            let options = TraceOptions(files: [TraceFile(argument: c.binding + path)], seed: 1)
            let trace = try TraceBuilder.build(options, deployment: Deployment(plan: plan))
            let traced = Set(trace.traced.map { plan.services[$0.offset].name })
            let (run, _) = try ServeFixtures.run(plan, trace: trace, options: SimOptions(replanEveryS: 0))
            let arrivals = run.services.filter { traced.contains($0.name) }.reduce(0) { $0 + $1.counts.arrivals }
            XCTAssertEqual(arrivals, c.rows, "\(c.name): every row is an arrival")
            XCTAssertEqual(run.problems(), [], "\(c.name): the Run's counts and reasons add up")
            for s in run.services {
                XCTAssertEqual(s.counts.ended, s.counts.arrivals, "\(c.name) \(s.name): every request ended")
                XCTAssertEqual(s.dropReasons.values.reduce(0, +), s.counts.dropped, "\(c.name) \(s.name)")
                XCTAssertEqual(s.failReasons.values.reduce(0, +), s.counts.failed, "\(c.name) \(s.name)")
            }
        }
    }

    /// The name of the format that recognizes a file of `text`.
    func recognized(_ text: String) -> String? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        return TraceHead { lines.next() }.flatMap(TraceFormats.recognize)?.name
    }

    func testProductionFormatsAreDetectedByTheirHeaders() {
        XCTAssertEqual(recognized(#"{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": [0]}"#), "Mooncake")
        XCTAssertEqual(recognized(#"{"time": 0, "service": "chat"}"#), "epara JSON Lines")
        XCTAssertEqual(recognized("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type"), "BurstGPT")
        XCTAssertEqual(recognized("HashOwner,HashApp,HashFunction,Trigger,1,2"), "Azure Functions invocations")
        XCTAssertEqual(recognized("TIMESTAMP,ContextTokens,GeneratedTokens"), "Azure LLM 2023")
        XCTAssertEqual(recognized("client_id,window_start_s,rate_rps,iat_cv"), "ServeGen rates")
        XCTAssertEqual(recognized("\u{FEFF}time,service"), "epara CSV")
        XCTAssertNil(recognized("when,who"))
        XCTAssertEqual(TraceFormats.all.count, Set(TraceFormats.all.map(\.name)).count, "one name per format")
    }

    /// JSON Lines are told apart by the first object's keys, not by words in its text: a
    /// service or origin may be called "timestamp", and the first line may be malformed (its
    /// reader then says where) or follow blank lines.
    func testJSONLinesAreRecognizedByTheirKeys() {
        XCTAssertEqual(recognized(#"{"time": 0, "service": "timestamp"}"#), "epara JSON Lines")
        XCTAssertEqual(recognized(#"{"service": "chat", "origin": "input_length", "time": 1}"#), "epara JSON Lines")
        XCTAssertEqual(recognized(#"{"input_length": 5, "timestamp": 0}"#), "Mooncake")
        XCTAssertEqual(recognized(#"{"time": 0, "service": "#), "epara JSON Lines")
        XCTAssertEqual(recognized("\n" + #"{"time": 0, "service": "chat"}"#), "epara JSON Lines")
    }

    /// The services a JSON Lines trace covers come from each line's `service` value, whatever
    /// the spacing around it (a tab after the colon hid it from a search of the text, and chat
    /// got generated traffic on top of the trace's).
    func testJSONLinesCoverTheServicesTheirRowsName() throws {
        let d = try deployment()
        let path = try file(
            "spaced.jsonl", "{\"time\": 0.5, \"service\":\t\"chat\"}\n{\"origin\": \"campus\", \"service\" : \"code-assist\", \"time\": 1}\n")
        let set = try TraceBuilder.build(TraceOptions(files: [TraceFile(path: path)], durationS: 10, seed: 1), deployment: d)
        XCTAssertEqual(set.description[path], "epara JSON Lines")
        XCTAssertEqual(set.traced, [d.serviceIndex["chat"]!, d.serviceIndex["code-assist"]!])
        XCTAssertNil(set.description["chat"], "the file covers chat")
        XCTAssertNil(set.description["code-assist"], "the file covers code-assist")
    }

    // MARK: Real traces

    func testAzureTraceKeepsTokensAndRelativeTimesAndSharesRowsByDemand() throws {
        let path = ServeFixtures.root.appendingPathComponent("examples/traces/AzureLLMInferenceTrace_conv.csv").path
        var trace = try AzureLLMTrace(path: path, services: [(index: 0, weight: 3), (index: 1, weight: 1)])
        let arrivals = try all(&trace)
        XCTAssertEqual(arrivals.count, 19_366)
        XCTAssertEqual(arrivals[0].time, 0)
        XCTAssertEqual(arrivals.last!.time, 3501.72, accuracy: 0.01, "18:15:46.68 to 19:14:08.40")
        XCTAssertEqual(Double(arrivals.map { Int($0.inputTokens) }.reduce(0, +)) / Double(arrivals.count), 1155, accuracy: 1)
        // Weights 3:1 give exactly 3 of every 4 rows to the first service, by position.
        XCTAssertEqual(arrivals.prefix(8).map(\.service), [0, 0, 1, 0, 0, 0, 1, 0])
        XCTAssertEqual(Double(arrivals.filter { $0.service == 0 }.count) / Double(arrivals.count), 0.75, accuracy: 0.001)
    }

    func testServeGenClientsFollowTheirWindowRates() throws {
        let path = ServeFixtures.root.appendingPathComponent("examples/traces/servegen_mm-image_clients_10min.csv").path
        let clients = try ServeGenTrace.read(path: path)
        XCTAssertEqual(clients.count, 35)
        let expected = clients.values.flatMap { $0.filter { $0.startS < 7200 } }.reduce(0) { $0 + $1.rate * 600 }
        var count = 0
        for (id, windows) in clients {
            var client = ServeGenTrace.Client(
                service: 0, origin: 0, windows: windows, rateScale: 1, endS: 7200,
                random: SeededRandom(seed: UInt64(id)))
            count += try all(&client).count
        }
        XCTAssertEqual(Double(count), expected, accuracy: expected * 0.03)
    }

    // MARK: Generators

    func testGeneratorsHitTheirRateAndVariability() throws {
        func gaps(_ process: ArrivalProcess, rate: Double = 100, seconds: Double = 2000) throws -> (rate: Double, cv: Double) {
            var source = GeneratedArrivals(service: 0, ratePerS: rate, process: process, endS: seconds, random: SeededRandom(seed: 7))
            let times = try all(&source).map(\.time)
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            let mean = gaps.reduce(0, +) / Double(gaps.count)
            let variance = gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count)
            return (Double(times.count) / seconds, variance.squareRoot() / mean)
        }
        let poisson = try gaps(.poisson)
        XCTAssertEqual(poisson.rate, 100, accuracy: 1)
        XCTAssertEqual(poisson.cv, 1, accuracy: 0.02)
        let bursty = try gaps(.gamma(cv: 3))
        XCTAssertEqual(bursty.rate, 100, accuracy: 3)
        XCTAssertEqual(bursty.cv, 3, accuracy: 0.15)
        let diurnal = try gaps(.diurnal(periodS: 1000, amplitude: 0.8))
        XCTAssertEqual(diurnal.rate, 100, accuracy: 2, "a whole number of periods averages to the mean rate")
    }

    func testStreamsEmitOneFramePerIntervalFromTheirPhase() throws {
        var frames = StreamFrames(service: 2, stream: 1, origin: 4, fps: 4, phaseS: 0.1, endS: 1)
        XCTAssertEqual(try all(&frames).map(\.time), [0.1, 0.35, 0.6, 0.85])
    }

    func testTraceDigestsDependOnFilesSeedAndSettings() throws {
        let d = try deployment()
        let path = try file("t.csv", "time,service\n0.5,chat\n")
        let base = TraceOptions(files: [TraceFile(path: path)], durationS: 10, seed: 1)
        let digest = try TraceBuilder.build(base, deployment: d).digest
        XCTAssertEqual(digest, try TraceBuilder.build(base, deployment: d).digest)
        var other = base
        other.seed = 2
        XCTAssertNotEqual(digest, try TraceBuilder.build(other, deployment: d).digest)
        try "time,service\n0.6,chat\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertNotEqual(digest, try TraceBuilder.build(base, deployment: d).digest)
    }

    func testTraceBuilderGeneratesWhatNoFileCovers() throws {
        let d = try deployment()
        let path = try file("t.csv", "time,service\n0.5,chat\n")
        let set = try TraceBuilder.build(TraceOptions(files: [TraceFile(path: path)], durationS: 10, seed: 1), deployment: d)
        XCTAssertEqual(set.description[path], "epara CSV")
        XCTAssertNil(set.description["chat"], "the file covers chat")
        XCTAssertEqual(set.description["defect-detection"], "14 streams × 30.0 fps")
        XCTAssertEqual(set.description["photo-classify"], "poisson at 50.0/s")
        XCTAssertEqual(
            error {
                _ = try TraceBuilder.build(
                    TraceOptions(files: [
                        TraceFile(
                            argument: "photo-classify="
                                + ServeFixtures.root.appendingPathComponent("examples/traces/AzureLLMInferenceTrace_code.csv").path)
                    ]), deployment: d)
            }.contains("not an LLM service"), true)
        let unknown = try file("what.csv", "when,who\n")
        XCTAssertEqual(
            error { _ = try TraceBuilder.build(TraceOptions(files: [TraceFile(path: unknown)]), deployment: d) }.prefix(unknown.count + 18),
            "\(unknown):1:1: error: unrec")
    }
}
