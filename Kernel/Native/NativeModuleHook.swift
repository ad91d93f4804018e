import Foundation
import KernelABI
public import KernelCore
import KernelStore

/// An in-process hook handler of a native module, known from the module's scan. The module is opened in this
/// process only when a handler is first invoked (once per process and module, under a lock); register then runs
/// with a live table, and the handler is the one registered at the same position as in the scan.
public struct NativeModuleHook: NativeHookHandler {
    public let event: String
    public let matcher: String?
    public let name: String
    public let modulePath: String
    public let index: Int
    let module: LiveModule

    public func invoke(input: [UInt8]) -> NativeHookResult {
        switch module.hook(at: index, event: event) {
        case .failure(let reason):
            return NativeHookResult(exitCode: 1, stderr: Array("native hook \(name): \(reason)".utf8))
        case .success(let hook):
            return hook.call(input: input)
        }
    }

    /// True once the module has been opened in this process.
    public var isLoaded: Bool { module.isLoaded }
}

/// An evaluator for `prompt`/`agent` hooks of a native module (ABI 1.1), known from the module's scan; opened
/// lazily like `NativeModuleHook` (the same `LiveModule`). `evaluate` calls the C function on the calling
/// thread: it may block, so callers run it off the cooperative pool.
public struct NativeModuleEvaluator: NativeEvaluatorHandler {
    public let name: String
    public let modulePath: String
    public let index: Int
    let module: LiveModule

    public func evaluate(kind: String, event: String, request: [UInt8]) -> NativeHookResult {
        switch module.evaluator(at: index) {
        case .failure(let reason):
            return NativeHookResult(exitCode: 1, stderr: Array("evaluator \(name): \(reason)".utf8))
        case .success(let evaluator):
            return evaluator.call(kind: kind, event: event, request: request)
        }
    }

    /// True once the module has been opened in this process.
    public var isLoaded: Bool { module.isLoaded }
}

/// A native command of a module (ABI 1.1 `register_command`), known from the module's scan; opened lazily like
/// `NativeModuleHook` (the same `LiveModule`): listing and composing never open the module, `render` does on
/// first use, then calls the module's function on the calling thread.
public struct NativeModuleCommand: NativeCommandHandler {
    public let name: String
    public let description: String?
    public let argumentHint: String?
    public let modulePath: String
    public let index: Int
    let module: LiveModule

    public func render(rawArguments: String, arguments: [String], context: RenderContext) throws(NativeCommandError) -> String {
        let command: LiveCommand
        switch module.command(at: index, name: name) {
        case .failure(let reason): throw NativeCommandError("native command \(name): \(reason.reason)")
        case .success(let c): command = c
        }
        let contextJSON = JSONValue.object([
            ("pluginRoot", .optional(context.pluginRoot)), ("pluginData", .optional(context.pluginData)),
            ("projectDir", .optional(context.projectDir)),
            ("arguments", .array(arguments.map { .string($0) })),
        ]).serialized(pretty: false)
        let result = command.call(name: name, arguments: rawArguments, context: Array(contextJSON.utf8))
        guard result.exitCode == 0 else {
            var message = String(decoding: result.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if message.isEmpty { message = "no message" }
            throw NativeCommandError("native command \(name) returned \(result.exitCode): \(message)", exitCode: result.exitCode)
        }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// True once the module has been opened in this process.
    public var isLoaded: Bool { module.isLoaded }
}

/// A native command as registered in this process.
final class LiveCommand: @unchecked Sendable {
    let name: String
    let fn: kernel_command_fn
    let userData: UnsafeMutableRawPointer?
    let serialized: NSLock?

    init(_ c: RegisterRecorder.Command) {
        name = c.name
        fn = c.fn
        userData = c.userData
        serialized = c.flags & KERNEL_HOOK_THREAD_SAFE != 0 ? nil : NSLock()
    }

    func call(name: String, arguments: String, context: [UInt8]) -> NativeHookResult {
        SinkBuffer.call(serialized: serialized) { out, err in
            name.withCString { n in
                arguments.withCString { a in
                    context.withUnsafeBufferPointer { buf in
                        buf.withMemoryRebound(to: CChar.self) { chars in
                            fn(n, a, chars.baseAddress, chars.count, out, err, userData)
                        }
                    }
                }
            }
        }
    }
}

/// An evaluator as registered in this process.
final class LiveEvaluator: @unchecked Sendable {
    let fn: kernel_evaluator_fn
    let userData: UnsafeMutableRawPointer?
    let serialized: NSLock?

    init(_ e: RegisterRecorder.Evaluator) {
        fn = e.fn
        userData = e.userData
        serialized = e.flags & KERNEL_HOOK_THREAD_SAFE != 0 ? nil : NSLock()
    }

    func call(kind: String, event: String, request: [UInt8]) -> NativeHookResult {
        SinkBuffer.call(serialized: serialized) { out, err in
            kind.withCString { k in
                event.withCString { e in
                    request.withUnsafeBufferPointer { buf in
                        fn(k, e, buf.baseAddress, buf.count, out, err, userData)
                    }
                }
            }
        }
    }
}

/// A handler as registered in this process: the C function, its user data, and a lock for handlers not
/// flagged thread-safe.
final class LiveHook: @unchecked Sendable {
    let fn: kernel_hook_fn
    let userData: UnsafeMutableRawPointer?
    let event: UnsafeMutablePointer<CChar>
    let serialized: NSLock?

    init(_ hook: RegisterRecorder.Hook) {
        fn = hook.fn
        userData = hook.userData
        event = strdup(hook.event)  // lives as long as the module: never freed
        serialized = hook.flags & KERNEL_HOOK_THREAD_SAFE != 0 ? nil : NSLock()
    }

    func call(input: [UInt8]) -> NativeHookResult {
        SinkBuffer.call(serialized: serialized) { out, err in
            input.withUnsafeBufferPointer { buf in
                fn(event, buf.baseAddress, buf.count, out, err, userData)
            }
        }
    }
}

final class SinkBuffer {
    static let cap = 1 << 20
    var bytes: [UInt8] = []

    /// Calls a module function with two host-owned sinks (stdout, stderr), under `serialized` when the function
    /// is not thread-safe, and returns its exit code with what it wrote.
    static func call(serialized: NSLock?,
                     _ body: (UnsafeMutablePointer<kernel_sink>, UnsafeMutablePointer<kernel_sink>) -> Int32)
        -> NativeHookResult
    {
        let out = SinkBuffer(), err = SinkBuffer()
        var outSink = kernel_sink(size: UInt32(MemoryLayout<kernel_sink>.size), reserved: 0,
                                  context: Unmanaged.passUnretained(out).toOpaque(), write: sinkWrite)
        var errSink = kernel_sink(size: UInt32(MemoryLayout<kernel_sink>.size), reserved: 0,
                                  context: Unmanaged.passUnretained(err).toOpaque(), write: sinkWrite)
        serialized?.lock()
        let code = body(&outSink, &errSink)
        serialized?.unlock()
        return withExtendedLifetime((out, err)) { NativeHookResult(exitCode: code, stdout: out.bytes, stderr: err.bytes) }
    }
}

private let sinkWrite: @convention(c) (UnsafeMutablePointer<kernel_sink>?, UnsafeRawPointer?, Int) -> Int = { sink, bytes, length in
    guard let sink, let context = sink.pointee.context, let bytes, length > 0 else { return 0 }
    let buffer = Unmanaged<SinkBuffer>.fromOpaque(context).takeUnretainedValue()
    let n = min(length, SinkBuffer.cap - buffer.bytes.count)
    if n <= 0 { return 0 }
    buffer.bytes.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: n))
    return n
}

/// A module as opened in this process: at most once, on first use.
final class LiveModule: @unchecked Sendable {
    let path: String
    let key: FileKey?
    let job: ModuleScanJob
    private let lock = NSLock()
    private var hooks: [LiveHook]?
    private var evaluators: [LiveEvaluator] = []
    private var commands: [LiveCommand] = []
    private var failure: String?

    init(path: String, key: FileKey?, job: ModuleScanJob) {
        self.path = path
        self.key = key
        self.job = job
    }

    var isLoaded: Bool { lock.withLock { hooks != nil } }

    func hook(at index: Int, event: String) -> Result<LiveHook, Refusal> {
        lock.lock()
        defer { lock.unlock() }
        if hooks == nil && failure == nil { load() }
        if let failure { return .failure(Refusal(failure)) }
        guard let hooks, index < hooks.count, String(cString: hooks[index].event) == event else {
            return .failure(Refusal("the module registered different handlers than when it was scanned"))
        }
        return .success(hooks[index])
    }

    func evaluator(at index: Int) -> Result<LiveEvaluator, Refusal> {
        lock.lock()
        defer { lock.unlock() }
        if hooks == nil && failure == nil { load() }
        if let failure { return .failure(Refusal(failure)) }
        guard index < evaluators.count else {
            return .failure(Refusal("the module registered different evaluators than when it was scanned"))
        }
        return .success(evaluators[index])
    }

    func command(at index: Int, name: String) -> Result<LiveCommand, Refusal> {
        lock.lock()
        defer { lock.unlock() }
        if hooks == nil && failure == nil { load() }
        if let failure { return .failure(Refusal(failure)) }
        guard index < commands.count, commands[index].name == name else {
            return .failure(Refusal("the module registered different commands than when it was scanned"))
        }
        return .success(commands[index])
    }

    /// Opens the module unless its file changed since the scan (an unscanned file could crash the host).
    private func load() {
        if let key {
            guard let now = FileKey.stat(path), now.device == key.device, now.inode == key.inode,
                  now.size == key.size, now.mtimeNanoseconds == key.mtimeNanoseconds else {
                failure = "the module file changed since it was scanned; it is scanned again on the next run"
                return
            }
        }
        switch ModuleLoader.open(path, context: job.context) {
        case .refused(let reason):
            failure = reason
        case .registered(_, let recorder, let status):
            if status != 0 { failure = "register returned \(status)"; return }
            hooks = recorder.hooks.map(LiveHook.init)
            evaluators = recorder.evaluators.map(LiveEvaluator.init)
            commands = recorder.commands.map(LiveCommand.init)
        }
    }
}

/// The modules opened (or to be opened) in this process, by path: one `LiveModule` each.
enum LiveModules {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var modules: [String: LiveModule] = [:]

    static func module(_ path: String, key: FileKey?, job: ModuleScanJob) -> LiveModule {
        lock.withLock {
            if let m = modules[path] { return m }
            let m = LiveModule(path: path, key: key, job: job)
            modules[path] = m
            return m
        }
    }
}
