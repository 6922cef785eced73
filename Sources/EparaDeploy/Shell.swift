/// POSIX shell words, for the scripts the manifests hold.
enum Shell {
    /// `word` as one shell word: as it is when it holds nothing the shell reads, else quoted.
    static func quoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,@%+".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
