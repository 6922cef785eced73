/// Typed positions in the request-handling core's tables. Each kind of thing the core keeps
/// tables of has its own index type, so a node cannot be used where an instance is meant; the
/// raw value is 32 bits, which keeps a `Request` (copied millions of times a run) small.
public protocol TableIndex: Hashable, Comparable, Sendable, CustomStringConvertible {
    var raw: Int32 { get }
    init(raw: Int32)
}

extension TableIndex {
    /// The position as an array offset.
    @inline(__always) public var offset: Int { Int(raw) }
    @inline(__always) public init(_ offset: Int) { self.init(raw: Int32(truncatingIfNeeded: offset)) }
    @inline(__always) public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
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

/// A piece of work on a device (a batch, a prefill, a decode step); slots are reused.
public struct WorkIndex: TableIndex {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// An array read and written through one kind of typed index.
struct Table<Index: TableIndex, Element> {
    private(set) var elements: [Element]

    init() { elements = [] }
    init(_ elements: [Element]) { self.elements = elements }
    init(repeating element: Element, count: Int) { elements = Array(repeating: element, count: count) }

    // `_read` rather than `get`: reading one field of an element (a queue's head) borrows the
    // element in place instead of copying it, which for a row holding heaps and deques would
    // retain and release each of them.
    @inline(__always) subscript(i: Index) -> Element {
        _read { yield elements[i.offset] }
        _modify { yield &elements[i.offset] }
    }

    var count: Int { elements.count }
    var indices: LazyMapSequence<Range<Int>, Index> { (0..<elements.count).lazy.map { Index($0) } }
    var nextIndex: Index { Index(elements.count) }

    mutating func append(_ element: Element) { elements.append(element) }
    mutating func append(contentsOf more: some Sequence<Element>) { elements.append(contentsOf: more) }
}

// Equal tables that share storage compare in constant time (Array's own fast path): the node
// views rely on it to keep sharing one copy (NodeViews.swift).
extension Table: Equatable where Element: Equatable {}
