/// Typed positions in the request-handling core's tables. Each kind of thing the core keeps
/// tables of has its own index type, so a node cannot be used where an instance is meant; the
/// raw value is 32 bits, which keeps a `Request` (copied millions of times a run) small.
public protocol TableIndex: Hashable, Strideable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral where Stride == Int {
    var raw: Int32 { get }
    init(raw: Int32)
}

extension TableIndex {
    /// The position as an array offset.
    @inline(__always) public var offset: Int { Int(raw) }
    @inline(__always) public init(_ offset: Int) { self.init(raw: Int32(truncatingIfNeeded: offset)) }
    /// A literal position (`NodeIndex` 0, in tests and fixtures); a variable must be converted.
    public init(integerLiteral value: Int32) { self.init(raw: value) }
    @inline(__always) public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
    @inline(__always) public func distance(to other: Self) -> Int { Int(other.raw) - Int(raw) }
    @inline(__always) public func advanced(by n: Int) -> Self { Self(raw: raw + Int32(truncatingIfNeeded: n)) }
    public var description: String { String(raw) }
}

/// A node of the cluster, in cluster order (`Deployment.nodes`).
public struct NodeIndex: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// A service, in the plan's order (`Deployment.services`).
public struct ServiceIndex: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// An instance of a service: every instance any plan of the run has had, in order of first
/// appearance (replans switch instances on and off; positions stay valid).
public struct InstanceIndex: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// A device of the cluster, in cluster order (`Deployment.devices`).
public struct DeviceIndex: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// A site of the cluster (nodes that share links to the others), in name order.
public struct SiteIndex: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// A request on the wire in the simulator (`SimWorld.transit`); slots are reused.
public struct TransitSlot: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// A piece of work on a device (a batch, a prefill, a decode step); slots are reused.
public struct WorkIndex: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// An array read and written through one kind of typed index: a collection whose positions are
/// that index, so `for i in table.indices` yields typed positions and `table[i]` takes only them.
public struct Table<Index: TableIndex, Element>: RandomAccessCollection, MutableCollection {
    public private(set) var elements: [Element]

    public init() { elements = [] }
    public init(_ elements: [Element]) { self.elements = elements }
    public init(repeating element: Element, count: Int) { elements = Array(repeating: element, count: count) }

    // `_read` rather than `get`: reading one field of an element (a queue's head) borrows the
    // element in place instead of copying it, which for a row holding heaps and deques would
    // retain and release each of them.
    @inline(__always) public subscript(i: Index) -> Element {
        _read { yield elements[i.offset] }
        _modify { yield &elements[i.offset] }
    }

    @inline(__always) public var startIndex: Index { Index(raw: 0) }
    @inline(__always) public var endIndex: Index { Index(elements.count) }
    @inline(__always) public var count: Int { elements.count }
    @inline(__always) public var indices: Range<Index> { startIndex..<endIndex }
    /// The position the next `append` takes.
    var nextIndex: Index { endIndex }
    /// Each element with its typed position, as `enumerated()` gives offsets.
    public func indexed() -> Zip2Sequence<Range<Index>, Self> { zip(indices, self) }

    public mutating func append(_ element: Element) { elements.append(element) }
    public mutating func append(contentsOf more: some Sequence<Element>) { elements.append(contentsOf: more) }
}

extension Table: Sendable where Element: Sendable {}

/// A table read through two typed indices — a service's entry for each node — stored row-major,
/// so no caller does the `row * columns + column` arithmetic itself.
public struct Grid<Row: TableIndex, Column: TableIndex, Element> {
    private var elements: [Element]
    public let columns: Int

    public init(rows: Int, columns: Int, repeating element: Element) {
        self.columns = columns
        elements = Array(repeating: element, count: rows * columns)
    }

    public init(rows: Int, columns: Int, _ make: (Row, Column) -> Element) {
        self.columns = columns
        elements = (0..<rows * columns).map { make(Row($0 / columns), Column($0 % columns)) }
    }

    @inline(__always) public subscript(row: Row, column: Column) -> Element {
        _read { yield elements[row.offset * columns + column.offset] }
        _modify { yield &elements[row.offset * columns + column.offset] }
    }

    /// Every entry back to `element`, keeping the shape.
    public mutating func reset(to element: Element) { elements = Array(repeating: element, count: elements.count) }
}

extension Grid: Sendable where Element: Sendable {}

// Equal tables that share storage compare in constant time (Array's own fast path): the node
// views rely on it to keep sharing one copy (NodeViews.swift).
extension Table: Equatable where Element: Equatable {}
