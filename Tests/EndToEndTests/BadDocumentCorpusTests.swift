import Foundation
import XCTest

/// Stage documents are input too: a plan a script wrote, a run a person edited. Each case of
/// `Fixtures/documents/bad.tsv` is one mutation of a golden document, fed to the stage that
/// reads it; every one must be refused with exit 65 and located one-line errors, quickly.
final class BadDocumentCorpusTests: XCTestCase {
    /// The stage that reads each document, and how it is called on a file.
    static let readers: [String: (golden: String, arguments: @Sendable (String) -> [String])] = [
        "plan": ("golden/edge-lab.plan.json", { ["serve", $0, "--duration", "1s"] }),
        "classified": ("golden/edge-lab.classified.json", { ["plan", $0] }),
        "run": ("golden/edge-lab.run.json", { ["report", $0, "--format", "json"] }),
    ]

    /// The commonest slip: inputs fed to a later stage. The error names what it found and the
    /// stage to run first.
    func testInputsGivenToALaterStageSayWhichStageToRunFirst() throws {
        let inputs = try ["cluster", "services", "catalog"].map {
            try Data(contentsOf: Epara.packageRoot.appendingPathComponent("examples/edge-lab/\($0).yaml"))
        }
        let all = try Epara.run(["plan"], stdin: inputs.reduce(Data(), +))
        XCTAssertEqual(all.status, 65)
        XCTAssertTrue(
            all.stderr.contains(
                "expected one ClassifiedWorkload document, found 3: Cluster, Services, Catalog; a ClassifiedWorkload is what `epara classify` writes: run it on them first"
            ), all.stderr)
        let one = try Epara.run(["plan"], stdin: inputs[0])
        XCTAssertTrue(one.stderr.contains("found 'Cluster': a Cluster document is an input of `epara classify`, run it first"), one.stderr)
        let classified = try Data(contentsOf: Epara.fixture("golden/edge-lab.classified.json"))
        let served = try Epara.run(["serve"], stdin: classified)
        XCTAssertTrue(served.stderr.contains("a ClassifiedWorkload document is an input of `epara plan`, run it first"), served.stderr)
    }

    func testEveryBadDocumentIsRefusedWithALocatedError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-bad-documents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = try String(contentsOf: Epara.fixture("documents/bad.tsv"), encoding: .utf8)
        var count = 0
        for (n, line) in manifest.split(separator: "\n").enumerated() where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 2).map(String.init)
            XCTAssertEqual(parts.count, 3, "bad.tsv line \(n + 1)")
            guard parts.count == 3, let reader = Self.readers[parts[0]] else { continue }
            let golden = try Data(contentsOf: Epara.fixture(reader.golden))
            let mutated = try DocumentMutation(parts[1]).apply(to: golden)
            let file = directory.appendingPathComponent("case\(n + 1)-\(parts[0]).json")
            try mutated.write(to: file)
            let result = try Epara.run(reader.arguments(file.path))
            let name = "\(parts[0]) \(parts[1])"
            XCTAssertEqual(result.status, 65, "\(name): exit status; stderr: \(result.stderr)")
            XCTAssertEqual(result.stdout, Data(), "\(name): nothing on stdout")
            XCTAssertLessThan(result.seconds, 2, "\(name): took \(result.seconds) s")
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            XCTAssertFalse(lines.isEmpty, "\(name): no diagnostic")
            for diagnostic in lines {
                let text = String(diagnostic)
                XCTAssertNotNil(
                    BadInputCorpusTests.locatedError.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                    "\(name): not a located one-line error: \(text)")
                XCTAssertTrue(text.hasPrefix(file.path + ":"), "\(name): error names another file: \(text)")
            }
            XCTAssertTrue(result.stderr.contains(parts[2]), "\(name): expected '\(parts[2])' in:\n\(result.stderr)")
            count += 1
        }
        XCTAssertGreaterThanOrEqual(count, 40)
    }

    /// The golden documents themselves pass the same checks (the corpus tests the checks, not a broken golden).
    func testTheGoldenDocumentsAreAccepted() throws {
        for (_, reader) in Self.readers.sorted(by: { $0.key < $1.key }) {
            let path = Epara.fixture(reader.golden).path
            let result = try Epara.run(reader.arguments(path))
            XCTAssertEqual(result.status, 0, "\(reader.golden): \(result.stderr)")
        }
    }
}

/// One change to a JSON document: `set PATH JSON` (the value written as given, so that numbers
/// JSON cannot hold, like 1e999, reach the reader), `delete PATH`, `dup PATH` (a list element
/// twice), `truncate BYTES`, `empty`. Paths are dotted keys and list indices: `instances.1.batch`.
struct DocumentMutation {
    let words: [String]

    init(_ text: String) { words = text.split(separator: " ", maxSplits: 2).map(String.init) }

    static let placeholder = "@@epara-mutation@@"

    func apply(to document: Data) throws -> Data {
        switch words[0] {
        case "truncate": return document.prefix(Int(words[1])!)
        case "empty": return Data()
        default: break
        }
        var root = try JSONSerialization.jsonObject(with: document)
        let path = words[1].split(separator: ".").map(String.init)
        try Self.change(&root, path[...]) { value in
            switch words[0] {
            case "set": value = Self.placeholder
            case "delete": value = nil
            default: break
            }
        }
        if words[0] == "dup" {
            try Self.duplicate(&root, path[...])
        }
        var text = String(decoding: try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
        if words[0] == "set" { text = text.replacingOccurrences(of: "\"\(Self.placeholder)\"", with: words[2]) }
        return Data(text.utf8)
    }

    struct BadPath: Error {}

    /// Calls `body` with the value at `path` (nil to remove it).
    static func change(_ node: inout Any, _ path: ArraySlice<String>, _ body: (inout Any?) -> Void) throws {
        guard let key = path.first else { return }
        if var list = node as? [Any], let index = Int(key), list.indices.contains(index) {
            if path.count == 1 {
                var value: Any? = list[index]
                body(&value)
                if let value { list[index] = value } else { list.remove(at: index) }
            } else {
                try change(&list[index], path.dropFirst(), body)
            }
            node = list
        } else if var object = node as? [String: Any] {
            if path.count == 1 {
                var value: Any? = object[key]
                body(&value)
                object[key] = value
            } else {
                guard var child = object[key] else { throw BadPath() }
                try change(&child, path.dropFirst(), body)
                object[key] = child
            }
            node = object
        } else {
            throw BadPath()
        }
    }

    static func duplicate(_ node: inout Any, _ path: ArraySlice<String>) throws {
        guard let last = path.last, let index = Int(last) else { throw BadPath() }
        try change(&node, path.dropLast()) { value in
            guard var list = value as? [Any], list.indices.contains(index) else { return }
            list.insert(list[index], at: index + 1)
            value = list
        }
    }
}
