import EparaCore
import Foundation

/// A measured profile as the Catalog document `classify`, `plan` and `serve` read (docs/documents.md,
/// `profiles[]`), with the points behind it as comments.
public enum ProfileCatalog {
    public static func yaml(_ measured: MeasuredProfile) -> String {
        let p = measured.profile
        var lines = ["# Written by `epara profile`: pass it to classify with the other documents, or add it to your catalog."]
        for point in measured.prefill {
            lines.append("# prefill: \(point.promptTokens) prompt tokens, first token in \(number(point.firstTokenMs)) ms")
        }
        for step in measured.steps {
            lines.append("# \(measured.prefill.isEmpty ? "batch" : "decode step") with \(step.concurrency) together: \(number(step.ms)) ms")
        }
        lines += ["apiVersion: epara/v1", "kind: Catalog", "profiles:", "  - model: \(quoted(p.model))", "    device: \(quoted(p.device))"]
        lines.append("    latency: {" + p.points.map { "\($0.batch): \(number($0.latencyMs))ms" }.joined(separator: ", ") + "}")
        if let perToken = p.prefillMsPerToken { lines.append("    prefill_per_token: \(number(perToken))ms") }
        if let sequences = p.maxSequences { lines.append("    max_sequences: \(sequences)") }
        lines.append("    source: \(quoted(p.source))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar (JSON's string syntax is a subset of it).
    static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }

    static func number(_ value: Double) -> String {
        var text = String(format: "%.5f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
