import EparaCore

/// Why a profile could not be measured: the model server could not be reached (exit 74), or it
/// answered something its API does not say (exit 65).
public typealias ProfileError = RemoteError
