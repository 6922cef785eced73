/// A node of a parsed YAML (or JSON) document with the line and column where it starts: what the
/// readers walk, so that every diagnostic can say where the field was written.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    /// 1-based; columns count Unicode scalars, as libyaml does.
    public var line: Int
    public var column: Int

    public init(_ content: Content, line: Int, column: Int) {
        self.content = content
        self.line = line
        self.column = column
    }

    public var scalar: YAMLScalar? {
        if case let .scalar(scalar) = content { return scalar }
        return nil
    }

    /// The text of a scalar (whatever its tag), nil for a collection.
    public var string: String? { scalar?.text }

    /// The value of the first entry whose key is the scalar `key`, when this is a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case let .mapping(pairs) = content else { return nil }
        return pairs.first { $0.key.scalar?.text == key }?.value
    }

    /// True for `~`, `null`, an empty plain scalar and `!!null`.
    public var isNull: Bool { scalar?.tag == .null }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A scalar's text with how it was written and what it resolved to.
public struct YAMLScalar: Sendable, Equatable {
    public enum Style: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The YAML 1.1 types a plain scalar resolves to (YAMLScalarTypes has the rules); quoted
    /// and block scalars are strings unless tagged. `other` is a timestamp, `<<`, `=` or a
    /// tag epara does not read (`!custom`), which the readers treat as text.
    public enum Tag: Sendable, Hashable {
        case null, bool, int, float, str, other
    }

    public var text: String
    public var style: Style
    public var tag: Tag

    public init(_ text: String, style: Style, tag: Tag) {
        self.text = text
        self.style = style
        self.tag = tag
    }

    /// `true`/`yes`/`on` and `false`/`no`/`off` in any case, when the tag is bool.
    public var bool: Bool? {
        guard tag == .bool else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// The value of a plain scalar written as a YAML 1.1 integer (decimal, `0x`, `0b`, `0o` or a
    /// leading-zero octal, `_` separators, base-60 `1:30`), nil if it does not fit an Int.
    public var int: Int? {
        guard style == .plain || tag == .int else { return nil }
        return YAMLScalarTypes.integer(text)
    }

    /// The value of a plain scalar written as a YAML 1.1 number (`.inf`, `.nan`, base-60 too).
    public var float: Double? {
        guard style == .plain || tag == .float else { return nil }
        return YAMLScalarTypes.float(text)
    }
}
