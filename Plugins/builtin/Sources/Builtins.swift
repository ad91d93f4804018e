// The kernel's built-in subagents and commands, as a native module: the kernel core holds no component
// content. Built by the package as libKernelBuiltins.so (a `.dynamic` product), found beside `kernel`.
// Sees only the C header (KernelABI); exports the two entry points with @_cdecl.
import KernelABI

nonisolated(unsafe) private let descriptor: UnsafeMutablePointer<kernel_module_descriptor> = {
    let p = UnsafeMutablePointer<kernel_module_descriptor>.allocate(capacity: 1)
    p.initialize(to: kernel_module_descriptor_make(cString("kernel-builtins"), cString("0.1.0"), cString(toolchain)))
    return p
}()

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

@_cdecl("kernel_module_describe")
public func kernelModuleDescribe() -> UnsafeRawPointer {
    UnsafeRawPointer(descriptor)
}

@_cdecl("kernel_module_register")
public func kernelModuleRegister(_ host: UnsafePointer<kernel_host>?) -> Int32 {
    guard let host, let contribute = host.pointee.contribute else { return 1 }
    var failures: Int32 = 0
    func add(_ kind: kernel_component_kind, _ fields: [(String, JSON)]) {
        let json = JSON.object(fields).text
        let rc = json.withCString { contribute(host.pointee.context, kind, $0, strlen($0)) }
        if rc != 0 { failures += 1 }
    }
    for agent in BuiltinContent.agents { add(KERNEL_COMPONENT_AGENT, agent) }
    for command in BuiltinContent.commands { add(KERNEL_COMPONENT_COMMAND, command) }
    return failures == 0 ? 0 : 1
}

/// A JSON value written by hand: the module must not share Swift types with the host, and needs no Foundation.
enum JSON: Sendable {
    case string(String)
    case strings([String])
    case bool(Bool)
    case int(Int)
    case object([(String, JSON)])

    var text: String {
        switch self {
        case .string(let s): return JSON.quote(s)
        case .strings(let a): return "[" + a.map(JSON.quote).joined(separator: ",") + "]"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .object(let m): return "{" + m.map { JSON.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

@_silgen_name("strlen")
private func strlen(_ s: UnsafePointer<CChar>) -> Int
