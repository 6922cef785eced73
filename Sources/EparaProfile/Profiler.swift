import EparaCore
import Foundation

/// What `epara profile` measured: the catalog profile it writes, and the points behind it.
public struct MeasuredProfile: Sendable {
    public var profile: Profile
    /// LLM: each prompt length (as the server counted it) and the median time to its first token.
    public var prefill: [(promptTokens: Int, firstTokenMs: Double)]
    /// Requests run together and the median step time (LLM: between tokens; KServe v2: until all
    /// of them answered).
    public var steps: [(concurrency: Int, ms: Double)]
    /// What the server said about itself, if anything.
    public var server: String
}

/// Measures a running model server and turns what it measured into a catalog `Profile`: for an
/// OpenAI-compatible LLM server, the prefill time per prompt token (the first token's time over
/// prompt lengths, fitted through the origin as the latency model uses it) and the decode step
/// time at 1, 2, 4, … sequences running together (the median gap between tokens while all of
/// them decode); for a KServe v2 server, the latency of 1, 2, 4, … requests sent together (what
/// its own batching makes of them).
public enum Profiler {
    public static func measure(
        _ options: ProfileOptions, command: String, date: String, progress: @escaping @Sendable (String) -> Void
    ) async throws(ProfileError) -> MeasuredProfile {
        let probe = ServerProbe(options: options)
        let result: Result<MeasuredProfile, ProfileError>
        do throws(ProfileError) {
            let server = try await identify(probe)
            progress("server: \(server.isEmpty ? "(it says nothing of itself)" : server)")
            switch options.api {
            case .openai: result = .success(try await measureLLM(probe, server: server, command: command, date: date, progress: progress))
            case .kserveV2: result = .success(try await measureKServe(probe, server: server, command: command, date: date, progress: progress))
            }
        } catch {
            result = .failure(error)
        }
        await probe.shutdown()
        return try result.get()
    }

    /// What the server says of itself: llama.cpp's `/props` (build, slots), vLLM's `/version`.
    static func identify(_ probe: ServerProbe) async throws(ProfileError) -> String {
        var parts: [String] = []
        if probe.options.api == .kserveV2 {
            let (status, body) = try await probe.get("/v2")
            if status == 200, let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                parts.append([object["name"] as? String, object["version"] as? String].compactMap { $0 }.joined(separator: " "))
            }
            return parts.joined(separator: ", ")
        }
        let (propsStatus, props) = try await probe.get("/props")
        if propsStatus == 200, let object = try? JSONSerialization.jsonObject(with: Data(props)) as? [String: Any] {
            if let build = object["build_info"] as? String { parts.append("llama.cpp server \(build)") }
            if let slots = object["total_slots"] as? Int { parts.append("\(slots) slots") }
        }
        let (versionStatus, version) = try await probe.get("/version")
        if versionStatus == 200, let object = try? JSONSerialization.jsonObject(with: Data(version)) as? [String: Any],
            let v = object["version"] as? String
        {
            parts.append("vLLM \(v)")
        }
        return parts.joined(separator: ", ")
    }

    static func measureLLM(
        _ probe: ServerProbe, server: String, command: String, date: String, progress: @escaping @Sendable (String) -> Void
    ) async throws(ProfileError) -> MeasuredProfile {
        let options = probe.options
        // A random start to every prompt: no server answers from its prefix cache, not even one
        // that kept the prompts of an earlier profile.
        func prompt(words: Int) -> String {
            "Request \(UInt64.random(in: 0...UInt64.max)):" + String(repeating: " the", count: max(words, 1))
        }
        progress("warming up")
        _ = try await probe.completion(prompt: prompt(words: 8), maxTokens: 4)
        var prefill: [(promptTokens: Int, firstTokenMs: Double)] = []
        for words in options.promptTokens {
            var times: [Double] = []
            var tokens = words
            for _ in 0..<options.repeats {
                let timed = try await probe.completion(prompt: prompt(words: words), maxTokens: 1)
                times.append(timed.firstTokenS! * 1000)
                tokens = timed.promptTokens ?? tokens
            }
            let ms = median(times)
            prefill.append((tokens, ms))
            progress("prefill \(tokens) tokens: first token in \(format(ms)) ms")
        }
        var steps: [(concurrency: Int, ms: Double)] = []
        for k in options.concurrency {
            var gaps: [Double] = []
            for _ in 0..<options.repeats {
                let prompts = (0..<k).map { _ in prompt(words: 16) }
                let decodeTokens = options.decodeTokens
                let timed = try await together(
                    prompts.map { p in
                        { @Sendable () async throws -> TimedCompletion in try await probe.completion(prompt: p, maxTokens: decodeTokens) }
                    })
                gaps += decodeGaps(timed)
            }
            guard !gaps.isEmpty else {
                throw ProfileError(.badAnswer, "at \(k) requests together the server streamed fewer than two tokens each: no decode step to time")
            }
            let ms = median(gaps)
            steps.append((k, ms))
            progress("decode with \(k) running: \(format(ms)) ms a step")
        }
        let perToken = throughOrigin(prefill.map { (Double($0.promptTokens), $0.firstTokenMs) })
        let profile = Profile(
            model: options.model, device: options.device, points: steps.map { Profile.Point(batch: $0.concurrency, latencyMs: rounded($0.ms)) },
            prefillMsPerToken: rounded(perToken, places: 5), maxSequences: options.concurrency.max(),
            source: source(options, server: server, command: command, date: date))
        return MeasuredProfile(profile: profile, prefill: prefill, steps: steps, server: server)
    }

    static func measureKServe(
        _ probe: ServerProbe, server: String, command: String, date: String, progress: @escaping @Sendable (String) -> Void
    ) async throws(ProfileError) -> MeasuredProfile {
        let options = probe.options
        progress("warming up")
        _ = try await probe.infer()
        var steps: [(concurrency: Int, ms: Double)] = []
        for k in options.concurrency {
            var times: [Double] = []
            for _ in 0..<options.repeats {
                let clock = ContinuousClock()
                let start = clock.now
                _ = try await together((0..<k).map { _ in { @Sendable () async throws -> Double in try await probe.infer() } })
                times.append((clock.now - start).seconds * 1000)
            }
            let ms = median(times)
            steps.append((k, ms))
            progress("\(k) requests together: \(format(ms)) ms")
        }
        let profile = Profile(
            model: options.model, device: options.device, points: steps.map { Profile.Point(batch: $0.concurrency, latencyMs: rounded($0.ms)) },
            source: source(options, server: server, command: command, date: date))
        return MeasuredProfile(profile: profile, prefill: [], steps: steps, server: server)
    }

    /// Runs the calls at once and returns their results in order (the first failure, if any).
    /// (The calls throw untyped: typed throws in these closures crash Swift 6.3's IR generation.)
    static func together<T: Sendable>(_ calls: [@Sendable () async throws -> T]) async throws(ProfileError) -> [T] {
        let results = await withTaskGroup(of: (Int, Result<T, ProfileError>).self) { group in
            for (index, call) in calls.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await call()))
                    } catch let error as ProfileError {
                        return (index, .failure(error))
                    } catch {
                        return (index, .failure(ProfileError(.unreachable, "\(error)")))
                    }
                }
            }
            var all = [Result<T, ProfileError>?](repeating: nil, count: calls.count)
            for await (index, result) in group { all[index] = result }
            return all
        }
        return try results.map { result throws(ProfileError) in try result!.get() }
    }

    /// Gaps between consecutive tokens of each stream while every stream was decoding: after the
    /// last first token and before the first stream ended (all of them batched together).
    static func decodeGaps(_ streams: [TimedCompletion]) -> [Double] {
        guard let from = streams.compactMap(\.firstTokenS).max(), let to = streams.compactMap({ $0.tokenTimesS.last }).min() else { return [] }
        var gaps: [Double] = []
        for stream in streams {
            for (a, b) in zip(stream.tokenTimesS, stream.tokenTimesS.dropFirst()) where a >= from && b <= to {
                gaps.append((b - a) * 1000)
            }
        }
        return gaps
    }

    static func source(_ options: ProfileOptions, server: String, command: String, date: String) -> String {
        "measured by epara profile on \(date) against \(options.url) (\(options.api.rawValue)\(server.isEmpty ? "" : ", \(server)"), model '\(options.serverModel)'): \(command)"
    }

    /// The slope of a line through the origin fitted to the points by least squares.
    static func throughOrigin(_ points: [(Double, Double)]) -> Double {
        let xy = points.reduce(0) { $0 + $1.0 * $1.1 }, xx = points.reduce(0) { $0 + $1.0 * $1.0 }
        return xx > 0 ? xy / xx : 0
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func rounded(_ value: Double, places: Int = 3) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }

    static func format(_ ms: Double) -> String { String(format: "%.2f", ms) }
}
