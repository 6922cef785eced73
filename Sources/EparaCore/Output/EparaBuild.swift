/// Which epara this is: printed by `--version`, exported as `epara_build_info` by the gateways.
public enum EparaBuild {
    public static let version = "0.1.0"
}
