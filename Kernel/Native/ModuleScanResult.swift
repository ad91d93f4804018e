public import KernelCore
public import KernelStore

/// A line a module logged through the host table.
public struct ModuleLogLine: Sendable, Equatable {
    public var level: Int
    public var message: String

    public var levelName: String { ["debug", "info", "warning", "error"][min(max(level, 0), 3)] }
}

/// One component a module contributed: its kind and its JSON, as given.
public struct ModuleContribution: Sendable {
    public var kind: ComponentKind
    public var json: [UInt8]
}

/// One in-process hook handler a module registered, identified by its registration order.
public struct ModuleHookRecord: Sendable, Equatable {
    public var index: Int
    public var event: String
    public var matcher: String?
    public var name: String
    public var flags: UInt32
}

/// One evaluator for `prompt`/`agent` hooks a module registered (ABI 1.1), identified by its registration order.
public struct ModuleEvaluatorRecord: Sendable, Equatable {
    public var index: Int
    public var name: String
    public var flags: UInt32
}

/// One native command a module registered (ABI 1.1), identified by its name.
public struct ModuleCommandRecord: Sendable, Equatable {
    public var index: Int
    public var name: String
    public var description: String?
    public var argumentHint: String?
    public var flags: UInt32
}

/// What scanning a module found: the handshake's verdict, the descriptor, what register contributed.
public struct ModuleScanResult: Sendable {
    public enum State: String, Sendable {
        /// Passed the handshake and registered.
        case ok
        /// Refused at load or handshake (the reason names the field), or register returned non-zero.
        case refused
        /// Crashed or hung the scanner (signal or timeout); recorded until the file changes.
        case broken
        /// Not scanned (its project is not trusted, or the file is missing).
        case skipped
    }

    public var path: String
    public var state: State
    public var reason: String?
    /// The signal that killed the scanner, for `broken`.
    public var signal: Int32?
    public var descriptor: ModuleDescriptor?
    public var contributions: [ModuleContribution] = []
    public var hooks: [ModuleHookRecord] = []
    public var evaluators: [ModuleEvaluatorRecord] = []
    public var commands: [ModuleCommandRecord] = []
    public var logs: [ModuleLogLine] = []
    /// The file's key when it was scanned (not encoded: the cache row holds it).
    public var key: FileKey?
    /// True when the result came from the cache (no process was started for it).
    public var fromCache = false

    public init(path: String, state: State, reason: String? = nil, signal: Int32? = nil) {
        self.path = path
        self.state = state
        self.reason = reason
        self.signal = signal
    }

    /// `ok`, `refused: <reason>`, `broken: <reason>`.
    public var stateDescription: String {
        reason.map { "\(state.rawValue): \($0)" } ?? state.rawValue
    }

    // MARK: - Encoding (one line of JSON: the scanner's reply and the cache payload)

    static let kindCodes: [(Int32, ComponentKind)] = [
        (1, .command), (2, .skill), (3, .agent), (4, .hook), (5, .mcpServer), (6, .outputStyle),
    ]
    static func kind(code: Int32) -> ComponentKind? { kindCodes.first { $0.0 == code }?.1 }

    public func encoded() -> String {
        var fields: [(String, JSONValue)] = [("path", .string(path)), ("state", .string(state.rawValue))]
        if let reason { fields.append(("reason", .string(reason))) }
        if let signal { fields.append(("signal", .int(Int(signal)))) }
        if let d = descriptor {
            fields.append(("descriptor", .object([
                ("name", .string(d.name)), ("version", .string(d.version)), ("toolchain", .string(d.toolchain)),
                ("abiMajor", .int(d.abiMajor)), ("abiMinor", .int(d.abiMinor)),
            ])))
        }
        fields.append(("contributions", .array(contributions.map {
            .object([("kind", .string($0.kind.rawValue)), ("json", .string(String(decoding: $0.json, as: UTF8.self)))])
        })))
        fields.append(("hooks", .array(hooks.map {
            .object([("index", .int($0.index)), ("event", .string($0.event)), ("matcher", .optional($0.matcher)),
                     ("name", .string($0.name)), ("flags", .int(Int($0.flags)))])
        })))
        fields.append(("evaluators", .array(evaluators.map {
            .object([("index", .int($0.index)), ("name", .string($0.name)), ("flags", .int(Int($0.flags)))])
        })))
        fields.append(("commands", .array(commands.map {
            .object([("index", .int($0.index)), ("name", .string($0.name)), ("description", .optional($0.description)),
                     ("argumentHint", .optional($0.argumentHint)), ("flags", .int(Int($0.flags)))])
        })))
        fields.append(("logs", .array(logs.map { .object([("level", .int($0.level)), ("message", .string($0.message))]) })))
        return JSONValue.object(fields).serialized(pretty: false)
    }

    public init?(decoding bytes: [UInt8]) {
        guard let root = try? JSONReader.parse(bytes).root, let path = root["path"]?.string,
              let state = root["state"]?.string.flatMap(State.init(rawValue:)) else { return nil }
        self.init(path: path, state: state, reason: root["reason"]?.string, signal: root["signal"]?.int.map(Int32.init))
        if let d = root["descriptor"] {
            descriptor = ModuleDescriptor(name: d["name"]?.string ?? "", version: d["version"]?.string ?? "",
                                          toolchain: d["toolchain"]?.string ?? "", abiMajor: d["abiMajor"]?.int ?? 0,
                                          abiMinor: d["abiMinor"]?.int ?? 0)
        }
        for c in root["contributions"]?.array ?? [] {
            guard let kind = c["kind"]?.string.flatMap(ComponentKind.init(rawValue:)), let json = c["json"]?.string else { continue }
            contributions.append(ModuleContribution(kind: kind, json: Array(json.utf8)))
        }
        for h in root["hooks"]?.array ?? [] {
            guard let index = h["index"]?.int, let event = h["event"]?.string else { continue }
            hooks.append(ModuleHookRecord(index: index, event: event, matcher: h["matcher"]?.string,
                                          name: h["name"]?.string ?? "", flags: UInt32(h["flags"]?.int ?? 0)))
        }
        for e in root["evaluators"]?.array ?? [] {
            guard let index = e["index"]?.int else { continue }
            evaluators.append(ModuleEvaluatorRecord(index: index, name: e["name"]?.string ?? "",
                                                    flags: UInt32(e["flags"]?.int ?? 0)))
        }
        for c in root["commands"]?.array ?? [] {
            guard let index = c["index"]?.int, let name = c["name"]?.string else { continue }
            commands.append(ModuleCommandRecord(index: index, name: name, description: c["description"]?.string,
                                                argumentHint: c["argumentHint"]?.string, flags: UInt32(c["flags"]?.int ?? 0)))
        }
        for l in root["logs"]?.array ?? [] {
            logs.append(ModuleLogLine(level: l["level"]?.int ?? 1, message: l["message"]?.string ?? ""))
        }
    }
}

extension ModuleScanResult {
    /// The result of opening a module in this process (the scanner child does this for each module).
    static func scanInProcess(_ path: String, context: ModuleLoader.Context) -> ModuleScanResult {
        switch ModuleLoader.open(path, context: context) {
        case .refused(let reason):
            return ModuleScanResult(path: path, state: .refused, reason: reason)
        case .registered(let descriptor, let recorder, let status):
            var result = ModuleScanResult(path: path, state: .ok)
            result.descriptor = descriptor
            result.logs = recorder.logs
            if status != 0 {
                result.state = .refused
                result.reason = "register returned \(status)"
                return result
            }
            result.contributions = recorder.contributions.compactMap { c in
                kind(code: c.kind).map { ModuleContribution(kind: $0, json: c.json) }
            }
            result.hooks = recorder.hooks.enumerated().map { i, h in
                ModuleHookRecord(index: i, event: h.event, matcher: h.matcher,
                                 name: h.name ?? "\(descriptor.name)#\(i)", flags: h.flags)
            }
            result.evaluators = recorder.evaluators.enumerated().map { i, e in
                ModuleEvaluatorRecord(index: i, name: e.name ?? "\(descriptor.name)#evaluator\(i)", flags: e.flags)
            }
            result.commands = recorder.commands.enumerated().map { i, c in
                ModuleCommandRecord(index: i, name: c.name, description: c.description, argumentHint: c.argumentHint,
                                    flags: c.flags)
            }
            for p in recorder.problems { result.logs.append(ModuleLogLine(level: 2, message: p)) }
            return result
        }
    }
}
