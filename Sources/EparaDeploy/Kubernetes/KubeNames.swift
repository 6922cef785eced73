import Crypto
import Foundation

/// Names and label values Kubernetes accepts, made from epara's names (which may hold capitals,
/// `@`, `#`, `/` and be long): object names are DNS-1035 labels (lowercase letters, digits and
/// `-`, starting with a letter, at most 63 characters, which a Service's name must be), label
/// values at most 63 characters of letters, digits, `-`, `_` and `.`, starting and ending with
/// one of the first two. A name that had to be cut keeps a short digest of the whole, so two
/// long names never meet in one.
public enum KubeNames {
    public static let maximumLength = 63

    /// An object name from parts joined by `-`.
    public static func object(_ parts: String...) -> String { object(parts) }

    /// With `distinct`, the name ends with its digest even when it fits: for names that would
    /// otherwise meet.
    public static func object(_ parts: [String], distinct: Bool = false) -> String {
        let whole = parts.joined(separator: "-")
        var name = ""
        for scalar in whole.lowercased().unicodeScalars {
            let ok = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
            if ok {
                name.unicodeScalars.append(scalar)
            } else if !name.hasSuffix("-"), !name.isEmpty {
                name += "-"
            }
        }
        while name.hasSuffix("-") { name.removeLast() }
        if name.first.map({ !$0.isLetter }) ?? true { name = "x-" + name }
        return fit(name, whole: whole, allowed: "-", always: distinct)
    }

    /// A label value: the text itself when Kubernetes takes it, else the closest it takes.
    public static func labelValue(_ text: String) -> String {
        var value = ""
        for scalar in text.unicodeScalars {
            let ok =
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "-" || scalar == "_" || scalar == "."
            value.unicodeScalars.append(ok ? scalar : "_")
        }
        while let first = value.unicodeScalars.first, !isAlphanumeric(first) { value.unicodeScalars.removeFirst() }
        while let last = value.unicodeScalars.last, !isAlphanumeric(last) { value.unicodeScalars.removeLast() }
        return fit(value, whole: text, allowed: "-_.")
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    /// `text` cut to 63 characters, ending with 8 hex digits of `whole`'s digest when cut (or
    /// `always`).
    static func fit(_ text: String, whole: String, allowed: String, always: Bool = false) -> String {
        guard text.count > maximumLength || always else { return text }
        let digest = SHA256.hash(data: Data(whole.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        var head = String(text.prefix(min(text.count, maximumLength - digest.count - 1)))
        while let last = head.last, allowed.contains(last) { head.removeLast() }
        return head + "-" + digest
    }
}
