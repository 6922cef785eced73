import Foundation
import NIOCore
import XCTest

@testable import EparaLive

/// The Open Inference Protocol's requests as clients send them: JSON tensors pass as they are
/// (checked), binary tensors become JSON ones, every datatype decoded as little-endian bytes,
/// and a malformed request is a message naming the tensor and what is wrong.
final class OpenInferenceRequestTests: XCTestCase {
    /// A request with the binary extension: the JSON header, then the inputs' bytes.
    func binary(_ header: [String: Any], _ data: [UInt8]) -> (ByteBuffer, String) {
        let json = try! JSONSerialization.data(withJSONObject: header)
        return (ByteBuffer(bytes: Array(json) + data), String(json.count))
    }

    func parsed(_ body: ByteBuffer, _ length: String? = nil) throws -> (OpenInferenceRequest, [String: Any]) {
        let request = try OpenInferenceRequest.parse(body, headerLength: length).get()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(request.body.readableBytesView)) as? [String: Any])
        return (request, object)
    }

    func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    func testJSONTensorsPassCheckedAndTheirFieldsKept() throws {
        let body = ByteBuffer(
            string:
                #"{"id": "a", "inputs": [{"name": "x", "shape": [2, 2], "datatype": "INT32", "data": [[1, 2], [3, 4]]}], "outputs": [{"name": "y"}], "parameters": {"stream_id": 3}}"#
        )
        let (request, object) = try parsed(body)
        XCTAssertEqual(request.id, "a")
        XCTAssertEqual(request.batch, 2)
        XCTAssertEqual(request.streamID, 3)
        XCTAssertEqual(request.outputNames, ["y"])
        let input = try XCTUnwrap((object["inputs"] as? [[String: Any]])?.first)
        XCTAssertEqual(input["data"] as? [[Int]], [[1, 2], [3, 4]])
        let answer = request.emulatedAnswer(model: "m")
        XCTAssertEqual(answer.id, "a")
        XCTAssertEqual(answer.outputs.map(\.name), ["y"])
        XCTAssertEqual(answer.outputs.first?.shape, [2, 1], "one value per item of the batch")
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: Gateway.answerEncoder.encode(answer)) as? [String: Any])
        XCTAssertEqual(Set(written.keys), ["id", "model_name", "outputs"], "the protocol's keys")
    }

    func testBinaryTensorsOfEveryKindBecomeJSON() throws {
        let half: [UInt16] = [0x3C00, 0xC000, 0x3555, 0x0001]  // 1, -2, 0.333, the smallest subnormal
        let float: [UInt32] = [Float(1.5).bitPattern, Float(-0.25).bitPattern]
        let strings = ["cat", "día"].flatMap { text -> [UInt8] in bytes([UInt32(text.utf8.count)]) + Array(text.utf8) }
        let inputs: [(String, [Int], [UInt8])] = [
            ("FP16", [4], bytes(half)), ("FP32", [1, 2], bytes(float)), ("INT64", [2], bytes([Int64(-5), Int64(1) << 40])),
            ("UINT8", [3], [0, 7, 255]), ("BOOL", [2], [1, 0]), ("BF16", [1], bytes([UInt16(0x3FC0)])), ("BYTES", [2], strings),
        ]
        let header: [String: Any] = [
            "inputs": inputs.enumerated().map { k, input in
                ["name": "t\(k)", "shape": input.1, "datatype": input.0, "parameters": ["binary_data_size": input.2.count]]
            },
            "parameters": ["binary_data_output": true],
        ]
        let (body, length) = binary(header, inputs.flatMap(\.2))
        let (request, object) = try parsed(body, length)
        let data = try XCTUnwrap(object["inputs"] as? [[String: Any]]).map { $0["data"] as? [Any] ?? [] }
        let fp16 = data[0].compactMap { ($0 as? NSNumber)?.doubleValue }
        XCTAssertEqual(fp16[0], 1)
        XCTAssertEqual(fp16[1], -2)
        XCTAssertEqual(fp16[2], 0.333, accuracy: 0.001)
        XCTAssertEqual(fp16[3], 5.960464477539063e-08, accuracy: 1e-12)
        XCTAssertEqual(data[1].compactMap { ($0 as? NSNumber)?.doubleValue }, [1.5, -0.25])
        XCTAssertEqual(data[2].compactMap { ($0 as? NSNumber)?.int64Value }, [-5, 1 << 40])
        XCTAssertEqual(data[3].compactMap { ($0 as? NSNumber)?.intValue }, [0, 7, 255])
        XCTAssertEqual(data[4].compactMap { ($0 as? NSNumber)?.boolValue }, [true, false])
        XCTAssertEqual(data[5].compactMap { ($0 as? NSNumber)?.doubleValue }, [1.5])
        XCTAssertEqual(data[6] as? [String], ["cat", "día"])
        XCTAssertNil(object["parameters"], "the binary-output request goes: the answer is JSON")
        let converted = try XCTUnwrap(object["inputs"] as? [[String: Any]])
        XCTAssertTrue(converted.allSatisfy { $0["parameters"] == nil }, "binary_data_size goes with the bytes")
        XCTAssertEqual(request.batch, 4)
    }

    func testMalformedRequestsSayWhatIsWrongWhere() {
        let cases: [(String, String?, String)] = [
            ("[]", nil, "must be a JSON object"),
            (#"{"inputs": []}"#, nil, "non-empty list"),
            (#"{"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}"#, nil, "inputs[0].name is required"),
            (#"{"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": [1]}]}"#, nil, "shape must be"),
            (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP33", "data": [1]}]}"#, nil, "datatype must be one of"),
            (#"{"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1]}]}"#, nil, "data has 1 elements, its shape [2] says 2"),
            (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]}"#, nil, "data is required"),
            (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}], "id": 5}"#, nil, "id must be a string"),
            (
                #"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}], "parameters": {"stream_id": -2}}"#, nil,
                "stream_id must be"
            ),
            (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}"#, "9999", "Inference-Header-Content-Length"),
            (
                #"{"inputs": [{"name": "x", "shape": [99999, 99999, 99999], "datatype": "FP32", "data": [1]}]}"#, nil,
                "too many elements"
            ),
        ]
        for (text, length, expected) in cases {
            switch OpenInferenceRequest.parse(ByteBuffer(string: text), headerLength: length) {
            case .success: XCTFail("accepted: \(text)")
            case let .failure(error): XCTAssertTrue(error.message.contains(expected), "\(text): \(error.message)")
            }
        }
        // Binary data shorter or longer than the inputs say, or of the wrong size for the type.
        let header: [String: Any] = ["inputs": [["name": "x", "shape": [2], "datatype": "FP32", "parameters": ["binary_data_size": 8]]]]
        for (data, expected) in [
            ([UInt8](repeating: 0, count: 4), "more than the 4 bytes left"), ([UInt8](repeating: 0, count: 9), "1 bytes after"),
        ] {
            let (body, length) = binary(header, data)
            switch OpenInferenceRequest.parse(body, headerLength: length) {
            case .success: XCTFail("accepted \(data.count) bytes")
            case let .failure(error): XCTAssertTrue(error.message.contains(expected), error.message)
            }
        }
        let odd: [String: Any] = ["inputs": [["name": "x", "shape": [2], "datatype": "FP32", "parameters": ["binary_data_size": 6]]]]
        let (body, length) = binary(odd, [UInt8](repeating: 0, count: 6))
        if case let .failure(error) = OpenInferenceRequest.parse(body, headerLength: length) {
            XCTAssertTrue(error.message.contains("not 2 elements of 4 bytes"), error.message)
        } else {
            XCTFail("6 bytes for two FP32 accepted")
        }
    }

    /// Any bytes at all: a message or a request, never a trap.
    func testRandomBodiesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        let seed = Array(#"{"inputs": [{"name": "x", "shape": [2], "datatype": "BYTES", "parameters": {"binary_data_size": 9}}]}"#.utf8)
        for _ in 0..<2000 {
            var bytes = seed + (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = OpenInferenceRequest.parse(ByteBuffer(bytes: bytes), headerLength: String(seed.count))
        }
    }
}
