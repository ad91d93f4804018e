// A native module in Swift: copy this folder, rename the target, build it as a `.dynamic` SwiftPM product
// (see Plugins/README.md). It sees only the C header (`import KernelABI`) and exports the two entry points
// with @_cdecl. It contributes one component of every kind and one in-process PreToolUse handler.
import KernelABI

#if compiler(>=6.5)
private let toolchain: StaticString = "swift-6.5"
#elseif compiler(>=6.4)
private let toolchain: StaticString = "swift-6.4"
#elseif compiler(>=6.3)
private let toolchain: StaticString = "swift-6.3"
#else
private let toolchain: StaticString = "swift-6.2"
#endif

private func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

// Static for the life of the process (describe must be pure and return the same pointer every time).
nonisolated(unsafe) private let descriptor: UnsafeMutablePointer<kernel_module_descriptor> = {
    let p = UnsafeMutablePointer<kernel_module_descriptor>.allocate(capacity: 1)
    p.initialize(to: kernel_module_descriptor_make(cString("swift-template"), cString("1.0.0"), cString(toolchain)))
    return p
}()

@_cdecl("kernel_module_describe")
public func templateDescribe() -> UnsafeRawPointer {
    UnsafeRawPointer(descriptor)
}

private let components: [(kernel_component_kind, String)] = [
    (KERNEL_COMPONENT_COMMAND, #"{"name": "swift-hello", "description": "Say hello from Swift", "argument-hint": "[name]", "body": "Say hello to $ARGUMENTS."}"#),
    (KERNEL_COMPONENT_SKILL, #"{"name": "swift-skill", "description": "A skill contributed by a Swift module", "body": "Use this skill to greet."}"#),
    (KERNEL_COMPONENT_AGENT, #"{"name": "swift-agent", "description": "An agent contributed by a Swift module", "tools": "Read, Grep", "prompt": "You are a helpful agent."}"#),
    (KERNEL_COMPONENT_HOOKS, #"{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "echo swift-template"}]}]}}"#),
    (KERNEL_COMPONENT_MCP_SERVERS, #"{"mcpServers": {"swift-mcp": {"command": "swift-mcp", "args": ["--stdio"]}}}"#),
    (KERNEL_COMPONENT_OUTPUT_STYLE, #"{"name": "Swifty", "description": "Answers briefly", "body": "Answer in one sentence."}"#),
]

/// An in-process PreToolUse handler: blocks a tool call whose input mentions "forbidden".
private let preToolUse: kernel_hook_fn = { _, input, length, out, err, _ in
    guard let input, let out, let err else { return 1 }
    let text = String(decoding: UnsafeBufferPointer(start: input, count: length), as: UTF8.self)
    if text.contains("forbidden") {
        _ = kernel_sink_puts(err, "swift-template: forbidden input")
        return 2
    }
    _ = kernel_sink_puts(out, #"{"continue": true}"#)
    return 0
}

@_cdecl("kernel_module_register")
public func templateRegister(_ host: UnsafePointer<kernel_host>?) -> Int32 {
    guard let host, let contribute = host.pointee.contribute, let registerHook = host.pointee.register_hook else { return 1 }
    let context = host.pointee.context
    for (kind, json) in components {
        let rc = json.withCString { contribute(context, kind, $0, json.utf8.count) }
        if rc != 0 { return 1 }
    }
    if registerHook(context, "PreToolUse", "Bash", "swift-template:forbidden", preToolUse, nil, KERNEL_HOOK_THREAD_SAFE) != 0 {
        return 1
    }
    host.pointee.log?(context, KERNEL_LOG_INFO, "swift-template registered")
    return 0
}
