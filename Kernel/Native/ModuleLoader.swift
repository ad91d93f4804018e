import KernelABI
#if canImport(Glibc)
import Glibc
#endif

typealias DescribeFunction = @convention(c) () -> UnsafeRawPointer?
typealias RegisterFunction = @convention(c) (UnsafePointer<kernel_host>?) -> Int32

/// What a module's register did, recorded by the host table: contributions, hook handlers, log lines.
final class RegisterRecorder {
    struct Contribution { var kind: Int32; var json: [UInt8] }
    struct Hook {
        var event: String
        var matcher: String?
        var name: String?
        var flags: UInt32
        var fn: kernel_hook_fn
        var userData: UnsafeMutableRawPointer?
    }
    struct Evaluator {
        var name: String?
        var flags: UInt32
        var fn: kernel_evaluator_fn
        var userData: UnsafeMutableRawPointer?
    }
    struct Command {
        var name: String
        var description: String?
        var argumentHint: String?
        var flags: UInt32
        var fn: kernel_command_fn
        var userData: UnsafeMutableRawPointer?
    }
    var contributions: [Contribution] = []
    var hooks: [Hook] = []
    var evaluators: [Evaluator] = []
    var commands: [Command] = []
    var logs: [ModuleLogLine] = []
    var problems: [String] = []
}

/// Opening a module: dlopen (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE, never dlclose), the entry points, the
/// handshake, and register with a host table that records what the module does.
enum ModuleLoader {
    enum Outcome {
        case refused(String)
        case registered(ModuleDescriptor, RegisterRecorder, status: Int32)
    }

    struct Context {
        var pluginName = ""
        var pluginRoot = ""
        var pluginData = ""
    }

    /// Opens `path` in this process and runs describe, the handshake and register.
    static func open(_ path: String, context: Context) -> Outcome {
        dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            return .refused("cannot load: \(lastError())")
        }
        guard let describeSymbol = dlsym(handle, KERNEL_MODULE_DESCRIBE_SYMBOL) else {
            return .refused("missing entry point \(KERNEL_MODULE_DESCRIBE_SYMBOL)")
        }
        guard let registerSymbol = dlsym(handle, KERNEL_MODULE_REGISTER_SYMBOL) else {
            return .refused("missing entry point \(KERNEL_MODULE_REGISTER_SYMBOL)")
        }
        let describe = unsafeBitCast(describeSymbol, to: DescribeFunction.self)
        let descriptor: ModuleDescriptor
        switch Handshake.check(describe()) {
        case .failure(let refusal): return .refused(refusal.reason)
        case .success(let d): descriptor = d
        }
        let register = unsafeBitCast(registerSymbol, to: RegisterFunction.self)
        let recorder = RegisterRecorder()
        let status = withHostTable(recorder, context: context) { register($0) }
        return .registered(descriptor, recorder, status: status)
    }

    static func lastError() -> String {
        guard let e = dlerror() else { return "unknown error" }
        return String(cString: e)
    }

    /// Builds the host table for one register call: `recorder` is its context; the strings live for the call.
    static func withHostTable<R>(_ recorder: RegisterRecorder, context: Context,
                                 _ body: (UnsafePointer<kernel_host>) -> R) -> R {
        context.pluginName.withCString { name in
            context.pluginRoot.withCString { root in
                context.pluginData.withCString { data in
                    var table = kernel_host()
                    table.size = UInt32(MemoryLayout<kernel_host>.size)
                    table.abi_major = HostABI.major
                    table.abi_minor = HostABI.minor
                    table.context = Unmanaged.passUnretained(recorder).toOpaque()
                    table.plugin_name = name
                    table.plugin_root = root
                    table.plugin_data = data
                    table.contribute = hostContribute
                    table.register_hook = hostRegisterHook
                    table.log = hostLog
                    table.register_evaluator = hostRegisterEvaluator
                    table.register_command = hostRegisterCommand
                    return withUnsafePointer(to: &table) { body($0) }
                }
            }
        }
    }
}

private func recorder(_ context: UnsafeMutableRawPointer?) -> RegisterRecorder? {
    context.map { Unmanaged<RegisterRecorder>.fromOpaque($0).takeUnretainedValue() }
}

private let hostContribute: @convention(c) (UnsafeMutableRawPointer?, kernel_component_kind, UnsafePointer<CChar>?, Int) -> Int32 = {
    context, kind, json, length in
    guard let r = recorder(context) else { return -1 }
    guard (1...6).contains(Int(kind.rawValue)) else {
        r.problems.append("contribute: unknown component kind \(kind.rawValue)")
        return -1
    }
    guard let json, length >= 0 else {
        r.problems.append("contribute: NULL json")
        return -1
    }
    let bytes = [UInt8](UnsafeRawBufferPointer(start: json, count: length))
    r.contributions.append(.init(kind: Int32(kind.rawValue), json: bytes))
    return 0
}

private let hostRegisterHook: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                              UnsafePointer<CChar>?, kernel_hook_fn?, UnsafeMutableRawPointer?, UInt32) -> Int32 = {
    context, event, matcher, name, fn, userData, flags in
    guard let r = recorder(context) else { return -1 }
    guard let event, let fn else {
        r.problems.append("register_hook: NULL event or handler")
        return -1
    }
    r.hooks.append(.init(event: String(cString: event), matcher: matcher.map { String(cString: $0) },
                         name: name.map { String(cString: $0) }, flags: flags, fn: fn, userData: userData))
    return 0
}

private let hostRegisterEvaluator: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, kernel_evaluator_fn?,
                                                   UnsafeMutableRawPointer?, UInt32) -> Int32 = {
    context, name, fn, userData, flags in
    guard let r = recorder(context) else { return -1 }
    guard let fn else {
        r.problems.append("register_evaluator: NULL evaluator")
        return -1
    }
    r.evaluators.append(.init(name: name.map { String(cString: $0) }, flags: flags, fn: fn, userData: userData))
    return 0
}

private let hostRegisterCommand: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                                 UnsafePointer<CChar>?, kernel_command_fn?, UnsafeMutableRawPointer?,
                                                 UInt32) -> Int32 = {
    context, name, description, argumentHint, fn, userData, flags in
    guard let r = recorder(context) else { return -1 }
    guard let name, let fn else {
        r.problems.append("register_command: NULL name or function")
        return -1
    }
    let n = String(cString: name)
    if n.isEmpty || n.contains(":") || n.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
        r.problems.append("register_command: invalid command name '\(n)' (empty, or with ':' or whitespace)")
        return -1
    }
    if r.commands.contains(where: { $0.name == n }) {
        r.problems.append("register_command: command '\(n)' registered twice")
        return -1
    }
    r.commands.append(.init(name: n, description: description.map { String(cString: $0) },
                            argumentHint: argumentHint.map { String(cString: $0) }, flags: flags, fn: fn, userData: userData))
    return 0
}

private let hostLog: @convention(c) (UnsafeMutableRawPointer?, kernel_log_level, UnsafePointer<CChar>?) -> Void = {
    context, level, message in
    guard let r = recorder(context), let message else { return }
    if r.logs.count < 100 { r.logs.append(ModuleLogLine(level: Int(level.rawValue), message: String(cString: message))) }
}
