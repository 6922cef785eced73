import Foundation
import NIOCore

/// An Open Inference Protocol (KServe v2) inference request as a client sends it: JSON tensors,
/// or with the binary tensor data extension (Triton's `tritonclient` sends inputs so by default:
/// a JSON header of `Inference-Header-Content-Length` bytes, then each binary input's bytes in
/// order). The gateway checks it and turns it into JSON tensors, so that every hop and every
/// KServe v2 server (MLServer reads JSON only) sees one form; answers come back as JSON tensors,
/// which the clients read whatever they asked for.
struct OpenInferenceRequest {
    /// The client's request id, echoed in the emulated backend's answer.
    var id: String?
    /// Names of the outputs asked for (empty: the model's own).
    var outputNames: [String]
    /// Items in the request: the first input's first dimension (1 for a scalar).
    var batch: Int
    /// The camera a frame comes from (`parameters.stream_id`, frequency-sensitive services).
    var streamID: Int32?
    /// The request as JSON tensors.
    var body: ByteBuffer

    /// Bytes of one element of each fixed-size datatype; BYTES elements carry their own length.
    static let elementBytes: [String: Int] = [
        "BOOL": 1, "UINT8": 1, "UINT16": 2, "UINT32": 4, "UINT64": 8, "INT8": 1, "INT16": 2, "INT32": 4, "INT64": 8,
        "FP16": 2, "BF16": 2, "FP32": 4, "FP64": 8,
    ]

    /// The request in `body`; `headerLength` is the `Inference-Header-Content-Length` header.
    /// A failure is the message for the client's 400.
    static func parse(_ body: ByteBuffer, headerLength: String?) -> Result<OpenInferenceRequest, InferenceRequestError> {
        let bytes = Array(body.readableBytesView)
        var jsonEnd = bytes.count
        if let headerLength {
            guard let length = Int(headerLength), length > 0, length <= bytes.count else {
                return .failure(.init("Inference-Header-Content-Length \(headerLength) must be a byte count within the body's \(bytes.count)"))
            }
            jsonEnd = length
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[0..<jsonEnd])) as? [String: Any] else {
            return .failure(.init("the body must be a JSON object: {\"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}]}"))
        }
        var request = object
        guard let inputs = object["inputs"] as? [[String: Any]], !inputs.isEmpty else {
            return .failure(.init("inputs must be a non-empty list of tensors {name, shape, datatype, data}"))
        }
        var binary = bytes[jsonEnd...]
        var converted: [[String: Any]] = []
        for (k, input) in inputs.enumerated() {
            switch tensor(input, at: "inputs[\(k)]", binary: &binary) {
            case let .success(tensor): converted.append(tensor)
            case let .failure(error): return .failure(error)
            }
        }
        if !binary.isEmpty {
            return .failure(.init("\(binary.count) bytes after the binary inputs that no input's binary_data_size covers"))
        }
        request["inputs"] = converted
        // The answer is JSON: the binary-output requests go.
        var streamID: Int32?
        if var parameters = object["parameters"] as? [String: Any] {
            parameters["binary_data_output"] = nil
            if let raw = parameters["stream_id"] {
                guard let number = raw as? NSNumber, let value = Int32(exactly: number.doubleValue), value >= 0 else {
                    return .failure(.init("parameters.stream_id must be a whole number ≥ 0 (the camera a frame comes from)"))
                }
                streamID = value
            }
            request["parameters"] = parameters.isEmpty ? nil : parameters
        } else if object["parameters"] != nil {
            return .failure(.init("parameters must be an object"))
        }
        var outputNames: [String] = []
        if let outputs = object["outputs"] {
            guard let list = outputs as? [[String: Any]] else { return .failure(.init("outputs must be a list of {name}")) }
            var plain: [[String: Any]] = []
            for (k, var output) in list.enumerated() {
                guard let name = output["name"] as? String, !name.isEmpty else { return .failure(.init("outputs[\(k)].name is required")) }
                outputNames.append(name)
                if var parameters = output["parameters"] as? [String: Any] {
                    parameters["binary_data"] = nil
                    output["parameters"] = parameters.isEmpty ? nil : parameters
                }
                plain.append(output)
            }
            request["outputs"] = plain
        }
        if let id = object["id"], !(id is String) { return .failure(.init("id must be a string")) }
        let firstShape = converted[0]["shape"] as? [Int] ?? []
        guard let data = try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]) else {
            return .failure(.init("the request cannot be written as JSON"))
        }
        return .success(
            OpenInferenceRequest(
                id: object["id"] as? String, outputNames: outputNames, batch: firstShape.first ?? 1, streamID: streamID,
                body: ByteBuffer(bytes: data)))
    }

    /// One input checked, its binary data (if it has any) taken from `binary` as JSON values.
    static func tensor(_ input: [String: Any], at path: String, binary: inout ArraySlice<UInt8>) -> Result<[String: Any], InferenceRequestError> {
        guard let name = input["name"] as? String, !name.isEmpty else { return .failure(.init("\(path).name is required")) }
        guard let shapeValues = input["shape"] as? [NSNumber],
            let shape = Optional(shapeValues.compactMap { Int(exactly: $0.doubleValue) }), shape.count == shapeValues.count,
            shape.allSatisfy({ $0 >= 0 })
        else {
            return .failure(.init("\(path) (\(name)): shape must be a list of whole numbers ≥ 0"))
        }
        guard let datatype = input["datatype"] as? String, datatype == "BYTES" || elementBytes[datatype] != nil else {
            let known = (elementBytes.keys.sorted() + ["BYTES"]).joined(separator: ", ")
            return .failure(.init("\(path) (\(name)): datatype must be one of \(known)"))
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, dim in
            let (product, o) = acc.0.multipliedReportingOverflow(by: dim)
            return (product, acc.1 || o)
        }
        guard !overflow, count <= 1 << 28 else { return .failure(.init("\(path) (\(name)): shape \(shape) holds too many elements")) }
        var tensor = input
        let parameters = input["parameters"] as? [String: Any]
        if let size = parameters?["binary_data_size"] {
            guard let bytes = (size as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), bytes >= 0, bytes <= binary.count else {
                return .failure(.init("\(path) (\(name)): binary_data_size \(size) is more than the \(binary.count) bytes left in the body"))
            }
            let raw = binary.prefix(bytes)
            binary = binary.dropFirst(bytes)
            switch values(Array(raw), datatype: datatype, count: count) {
            case let .success(values): tensor["data"] = values
            case let .failure(error): return .failure(.init("\(path) (\(name)): \(error.message)"))
            }
            var rest = parameters ?? [:]
            rest["binary_data_size"] = nil
            tensor["parameters"] = rest.isEmpty ? nil : rest
        } else {
            guard let data = input["data"] else { return .failure(.init("\(path) (\(name)): data is required (or binary_data_size)")) }
            let found = flattenedCount(data)
            guard found == count else {
                return .failure(.init("\(path) (\(name)): data has \(found) elements, its shape \(shape) says \(count)"))
            }
        }
        return .success(tensor)
    }

    static func flattenedCount(_ value: Any) -> Int {
        guard let list = value as? [Any] else { return 1 }
        return list.reduce(0) { $0 + flattenedCount($1) }
    }

    /// Binary tensor data as JSON values: little-endian elements, BYTES as 4-byte-length-prefixed
    /// strings.
    static func values(_ raw: [UInt8], datatype: String, count: Int) -> Result<[Any], InferenceRequestError> {
        if datatype == "BYTES" {
            var out: [Any] = []
            var offset = 0
            while offset < raw.count {
                guard offset + 4 <= raw.count else { return .failure(.init("a BYTES element's length is cut off")) }
                let length = Int(littleEndian(raw, at: offset, bytes: 4))
                offset += 4
                guard offset + length <= raw.count else { return .failure(.init("a BYTES element runs past its data")) }
                guard let text = String(validating: raw[offset..<offset + length], as: UTF8.self) else {
                    return .failure(.init("a BYTES element is not UTF-8 text: send it in JSON as base64 or as another datatype"))
                }
                out.append(text)
                offset += length
            }
            guard out.count == count else { return .failure(.init("\(out.count) BYTES elements, the shape says \(count)")) }
            return .success(out)
        }
        let size = elementBytes[datatype]!
        guard raw.count == count * size else {
            return .failure(.init("binary_data_size \(raw.count) is not \(count) elements of \(size) bytes"))
        }
        var out: [Any] = []
        out.reserveCapacity(count)
        for k in 0..<count {
            let bits = littleEndian(raw, at: k * size, bytes: size)
            switch datatype {
            case "BOOL": out.append(bits != 0)
            case "UINT8", "UINT16", "UINT32", "UINT64": out.append(bits)
            case "INT8": out.append(Int8(truncatingIfNeeded: bits))
            case "INT16": out.append(Int16(truncatingIfNeeded: bits))
            case "INT32": out.append(Int32(truncatingIfNeeded: bits))
            case "INT64": out.append(Int64(bitPattern: bits))
            case "FP16": out.append(Double(halfToFloat(UInt16(bits))))
            case "BF16": out.append(Double(Float(bitPattern: UInt32(bits) << 16)))
            case "FP32": out.append(Double(Float(bitPattern: UInt32(bits))))
            default: out.append(Double(bitPattern: bits))
            }
        }
        return .success(out)
    }

    static func littleEndian(_ raw: [UInt8], at offset: Int, bytes: Int) -> UInt64 {
        (0..<bytes).reduce(UInt64(0)) { $0 | UInt64(raw[offset + $1]) << (8 * UInt64($1)) }
    }

    /// IEEE half precision to single, by its bits (Float16 is not on every platform Swift runs on).
    static func halfToFloat(_ half: UInt16) -> Float {
        let sign = UInt32(half >> 15) << 31
        let exponent = Int((half >> 10) & 0x1F)
        let fraction = UInt32(half & 0x3FF)
        switch exponent {
        case 0:
            let magnitude = Float(fraction) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (fraction << 13))
        }
    }

    /// What the emulated backend answers: it has no model, so one FP32 score of 0 per item for
    /// each output asked for (`output0` when none is), in the protocol's response shape.
    func emulatedAnswer(model: String) -> InferenceAnswer {
        let names = outputNames.isEmpty ? ["output0"] : outputNames
        return InferenceAnswer(
            id: id, modelName: model,
            outputs: names.map { InferenceAnswer.Output(name: $0, shape: [batch, 1], data: Array(repeating: 0.0, count: batch)) })
    }
}

/// Why a client's inference request is refused (the message of its 400).
struct InferenceRequestError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
