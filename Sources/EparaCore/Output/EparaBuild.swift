/// Which epara this is, written here only: printed by `--version`, exported as
/// `epara_build_info` by the gateways, named in the man pages (scripts/generate-docs) and held
/// equal to CHANGELOG.md's latest release by a test.
public enum EparaBuild {
    public static let version = "0.1.0"
}
