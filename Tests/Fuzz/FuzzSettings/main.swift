// libFuzzer target: the settings editor (on text with or without comments), with the invariants of issue 8's defect 1 asserted: an edit of text
// that parses either is refused as a non-object on the key path, or gives text that parses, keeps every
// other member byte-identical and reads back as set (`SettingsText.verify`, run by every edit: a failure is
// a trap here); and applying the same edit again changes nothing (idempotent).
import Glibc
@testable import KernelCore

/// The edits tried on every input (built per call: a global built before the driver starts reads as a leak).
func edits() -> [([String], JSONValue?)] { [
    (["enabledPlugins", "x@local"], true),
    (["model"], "opus"),
    (["a", "b", "c"], .object([("k", ["v", 1, .null]), ("e", .object([]))])),
    (["enabledPlugins", "x@local"], nil),
    (["theme"], nil),
] }

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzSettings(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard (try? JSONReader.parse(bytes, comments: true)) != nil else { return 0 }  // settings may hold comments
    for (keyPath, value) in edits() {
        let once: [UInt8]?
        do {
            once = try SettingsText.apply(bytes, keyPath: keyPath, value: value)
        } catch {
            if case .notAnObject = error { continue }
            fatalError("edit \(keyPath) = \(String(describing: value)) failed: \(error)")
        }
        let text = once ?? bytes
        do {
            let twice = try SettingsText.apply(text, keyPath: keyPath, value: value)
            if let twice, twice != text { fatalError("edit \(keyPath) is not idempotent") }
        } catch {
            fatalError("re-applying edit \(keyPath) failed: \(error)")
        }
    }
    return 0
}

// SwiftPM renames an executable's entry point (`main` becomes an alias of `<Target>_main`), so libFuzzer's own
// `main` is not used: top-level code hands the arguments to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzSettings))
