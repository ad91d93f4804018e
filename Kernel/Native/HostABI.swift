import KernelABI

/// The host's side of the handshake: the ABI version and toolchain this kernel was built with.
public enum HostABI {
    public static let magic: UInt32 = KERNEL_MODULE_MAGIC
    public static let major: UInt16 = UInt16(KERNEL_ABI_MAJOR)
    public static let minor: UInt16 = UInt16(KERNEL_ABI_MINOR)
    /// The size of the version-1.0 descriptor: a smaller one is truncated.
    public static let descriptorSize = UInt32(MemoryLayout<kernel_module_descriptor>.size)

    /// `swift-X.Y` of the compiler that built the host: a Swift module must have been built by the same one
    /// (Swift on Linux has no stable ABI between toolchains).
    public static let swiftToolchain: String = {
        #if compiler(>=6.5)
        return "swift-6.5"
        #elseif compiler(>=6.4)
        return "swift-6.4"
        #elseif compiler(>=6.3)
        return "swift-6.3"
        #elseif compiler(>=6.2)
        return "swift-6.2"
        #else
        return "swift-6.1"
        #endif
    }()

    /// The toolchains accepted: plain C, or the host's Swift.
    public static var acceptedToolchains: [String] { ["c", swiftToolchain] }

    /// What the scan cache is keyed on besides the file: a scan by another ABI or toolchain is not reused.
    public static var cacheKey: String { "\(major).\(minor) \(swiftToolchain) scan-2" }

    public static var version: String { "\(major).\(minor)" }
}

/// What a module's describe returned, once it passed the handshake.
public struct ModuleDescriptor: Sendable, Equatable {
    public var name: String
    public var version: String
    public var toolchain: String
    public var abiMajor: Int
    public var abiMinor: Int

    public var abi: String { "\(abiMajor).\(abiMinor)" }
}

enum Handshake {
    /// Checks magic, size, major, minor, toolchain, in that order. Reads no field the size does not cover.
    /// - Returns: the descriptor, or the refusal naming the field, the module's value and the host's.
    static func check(_ pointer: UnsafeRawPointer?) -> Result<ModuleDescriptor, Refusal> {
        guard let p = pointer else { return .failure(Refusal("describe returned NULL")) }
        let magic = p.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        if magic != HostABI.magic {
            return .failure(Refusal("magic: module \(hex(magic)), host \(hex(HostABI.magic))"))
        }
        let size = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        if size < HostABI.descriptorSize {
            return .failure(Refusal("size: module \(size), host \(HostABI.descriptorSize) (truncated descriptor)"))
        }
        let d = p.assumingMemoryBound(to: kernel_module_descriptor.self).pointee
        if d.abi_major != HostABI.major {
            return .failure(Refusal("abi major: module \(d.abi_major), host \(HostABI.major)"))
        }
        if d.abi_minor > HostABI.minor {
            return .failure(Refusal("abi minor: module \(d.abi_major).\(d.abi_minor), host \(HostABI.version) "
                                    + "(built against a newer header)"))
        }
        let toolchain = d.toolchain.map { String(cString: $0) } ?? ""
        if !HostABI.acceptedToolchains.contains(toolchain) {
            return .failure(Refusal("toolchain: module '\(toolchain)', host '\(HostABI.acceptedToolchains.joined(separator: "' or '"))'"))
        }
        let name = d.name.map { String(cString: $0) } ?? ""
        if name.isEmpty { return .failure(Refusal("name: module has none")) }
        return .success(ModuleDescriptor(name: name, version: d.version.map { String(cString: $0) } ?? "",
                                         toolchain: toolchain, abiMajor: Int(d.abi_major), abiMinor: Int(d.abi_minor)))
    }

    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}

struct Refusal: Error, Sendable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
