import Foundation
import XCTest

@testable import EparaCore

/// schemas/ is written by hand for editors and validators; it must name exactly the keys the reader knows.
final class SchemaTests: XCTestCase {
    func schema(_ name: String) throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/\(name).schema.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func itemKeys(_ schema: [String: Any], _ list: String) -> Set<String> {
        let properties = schema["properties"] as! [String: Any]
        let items = (properties[list] as! [String: Any])["items"] as! [String: Any]
        return Set((items["properties"] as! [String: Any]).keys)
    }

    func testSchemasNameTheKeysTheReaderKnows() throws {
        XCTAssertEqual(itemKeys(try schema("services"), "services"), Set(ServicesReader.keys))
        XCTAssertEqual(itemKeys(try schema("catalog"), "devices"), Set(CatalogReader.deviceKeys))
        XCTAssertEqual(itemKeys(try schema("catalog"), "models"), Set(CatalogReader.modelKeys))
        XCTAssertEqual(itemKeys(try schema("cluster"), "nodes"), Set(ClusterReader.nodeKeys))
        for (kind, name) in [("Cluster", "cluster"), ("Services", "services"), ("Catalog", "catalog")] {
            let top = Set((try schema(name)["properties"] as! [String: Any]).keys)
            XCTAssertEqual(top, Set(CommonKeys.all + CommonKeys.kindKeys[kind]!))
        }
    }
}
