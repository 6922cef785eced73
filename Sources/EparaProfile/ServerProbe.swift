import AsyncHTTPClient
import EparaCore
import Foundation
import NIOCore

/// One streamed completion as the client saw it: when each token came, counted from the moment
/// the request was sent, and what the server's usage said.
struct TimedCompletion: Sendable {
    /// Seconds from sending to each event that carried text (the first is the first token).
    var tokenTimesS: [Double]
    var promptTokens: Int?
    var outputTokens: Int
    var endS: Double
    var firstTokenS: Double? { tokenTimesS.first }
}

/// The calls `epara profile` makes, over AsyncHTTPClient: an OpenAI-compatible streamed
/// completion with its tokens timed, a KServe v2 inference timed, and plain GETs for what the
/// server says about itself. The only I/O of the profiler.
struct ServerProbe: Sendable {
    let client: HTTPClient
    let options: ProfileOptions

    init(options: ProfileOptions) {
        var configuration = HTTPClient.Configuration()
        // A refused connection is an answer (nothing listens there), not a reason to retry.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.options = options
    }

    func shutdown() async { try? await client.shutdown() }

    var timeout: TimeAmount { .milliseconds(Int64(options.timeoutS * 1000)) }

    /// A GET's status and body; nil status when the path is not there (404, 405).
    func get(_ path: String) async throws(ProfileError) -> (status: Int, body: [UInt8]) {
        do {
            let response = try await client.execute(HTTPClientRequest(url: options.url + path), timeout: timeout)
            return (Int(response.status.code), Array(buffer: try await response.body.collect(upTo: 16 << 20)))
        } catch {
            throw unreachable(error)
        }
    }

    /// A completion of `prompt`, asked to produce exactly `maxTokens` tokens, streamed.
    func completion(prompt: String, maxTokens: Int) async throws(ProfileError) -> TimedCompletion {
        let body: [String: Any] = [
            "model": options.serverModel, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "stream": true,
            "stream_options": ["include_usage": true],
            // vLLM, SGLang and llama.cpp's server produce max_tokens whatever the model would say.
            "ignore_eos": true,
        ]
        var request = HTTPClientRequest(url: options.url + "/v1/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        // A connection per measurement: llama.cpp's server closes one after a stream without
        // saying so, and a pooled connection the server closed fails the next request.
        request.headers.add(name: "connection", value: "close")
        request.body = .bytes(ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: body)) ?? Data()))
        let clock = ContinuousClock()
        let sent = clock.now
        func since() -> Double { (clock.now - sent).seconds }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw unreachable(error)
        }
        guard response.status.code == 200 else {
            let text = (try? await response.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
            throw ProfileError(
                .badAnswer,
                "\(options.url)/v1/completions answered \(response.status.code) for model '\(options.serverModel)': \(text.prefix(300))"
                    + (response.status.code == 404 ? " (is --server-model the name the server knows the model by?)" : ""))
        }
        var events = ServerSentEvents()
        var timed = TimedCompletion(tokenTimesS: [], promptTokens: nil, outputTokens: 0, endS: 0)
        var sawEvent = false
        do {
            for try await chunk in response.body {
                let now = since()
                for event in events.take(chunk.readableBytesView) where !event.data.isEmpty && event.data != "[DONE]" {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any] else {
                        throw ProfileError(.badAnswer, "\(options.url)/v1/completions streamed an event that is not JSON: \(event.data.prefix(200))")
                    }
                    sawEvent = true
                    if let usage = object["usage"] as? [String: Any] {
                        timed.promptTokens = usage["prompt_tokens"] as? Int ?? timed.promptTokens
                        timed.outputTokens = usage["completion_tokens"] as? Int ?? timed.outputTokens
                    }
                    let text = (object["choices"] as? [[String: Any]])?.first?["text"] as? String
                    if let text, !text.isEmpty { timed.tokenTimesS.append(now) }
                }
            }
        } catch let error as ProfileError {
            throw error
        } catch {
            throw ProfileError(.unreachable, "the stream from \(options.url) broke off: \(error)")
        }
        timed.endS = since()
        guard sawEvent, timed.firstTokenS != nil else {
            throw ProfileError(
                .badAnswer, "\(options.url)/v1/completions answered no streamed tokens (server-sent events with choices[].text) for a completion")
        }
        if timed.outputTokens == 0 { timed.outputTokens = timed.tokenTimesS.count }
        return timed
    }

    /// Seconds one KServe v2 inference takes, end to end.
    func infer() async throws(ProfileError) -> Double {
        var request = HTTPClientRequest(url: options.url + "/v2/models/\(options.serverModel)/infer")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: options.kserveBody ?? []))
        let clock = ContinuousClock()
        let sent = clock.now
        let status: UInt, body: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = response.status.code
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw unreachable(error)
        }
        let took = (clock.now - sent).seconds
        guard status == 200 else {
            throw ProfileError(
                .badAnswer, "\(options.url)/v2/models/\(options.serverModel)/infer answered \(status): \(String(buffer: body).prefix(300))")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["outputs"] != nil else {
            throw ProfileError(.badAnswer, "\(options.url)/v2/models/\(options.serverModel)/infer answered without outputs: not a KServe v2 answer")
        }
        return took
    }

    func unreachable(_ error: any Error) -> ProfileError {
        let text = String(describing: error)
        let reason = text.contains("onnectionRefused") || text.contains("Connection refused") ? "connection refused" : text
        return ProfileError(.unreachable, "cannot reach the model server at \(options.url): \(reason)")
    }
}
