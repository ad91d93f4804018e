// What every libFuzzer target (Tests/Fuzz/<Target>/main.swift) shares: the entry point libFuzzer calls with each
// input, and the hand-over to libFuzzer's driver. A target's main.swift is its invariant only:
//
//     import FuzzSupport
//     fuzz { bytes in ... }   // trap (fatalError, abort) on a violated invariant
import Glibc
import Synchronization

/// The body `fuzz` registered; read by the entry point on every input (libFuzzer calls it from one thread).
private let registered = Mutex<(@Sendable ([UInt8]) -> Void)?>(nil)

/// libFuzzer's entry point, defined once here: the input as bytes, to the registered body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let body = registered.withLock({ $0 }) else { return 0 }
    body(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                       _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer's driver over the command line's arguments with `body` as the test of one input, and exits
/// with the driver's status. SwiftPM renames an executable's entry point (`main` becomes an alias of
/// `<Target>_main`), so libFuzzer's own `main` is not used: the target's top-level code calls this instead.
public func fuzz(_ body: @escaping @Sendable ([UInt8]) -> Void) -> Never {
    registered.withLock { $0 = body }
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, fuzzerTestOneInput))
}

/// Splits an input at its first NUL: the part before, and the part after (empty when there is no NUL), each
/// decoded as UTF-8 (invalid sequences replaced). The targets that take two strings (pattern and value, body
/// and arguments) read them so.
public func splitAtNUL(_ bytes: [UInt8]) -> (String, String) {
    let cut = bytes.firstIndex(of: 0) ?? bytes.count
    let first = String(decoding: bytes[..<cut], as: UTF8.self)
    let rest = cut < bytes.count ? String(decoding: bytes[(cut + 1)...], as: UTF8.self) : ""
    return (first, rest)
}
