import Logging

/// A log handler for the HTTP servers: metadata is kept as given and formatted only when a
/// warning or worse is written (to standard error, like every other log line).
public struct QuietUntilWarning: LogHandler {
    let label: String
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .warning

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = logLevel
        var event = event
        event.metadata = metadata.merging(event.metadata ?? [:]) { $1 }
        handler.log(event: event)
    }
}
