import Foundation

/// A fresh directory under the system temp folder, removed when the test ends.
final class TempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/kernel-test-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        // Physical path, so comparisons with getcwd-style paths hold.
        path = URL(fileURLWithPath: String(cString: p)).resolvingSymlinksInPath().path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    func mkdir(_ relative: String) throws -> String {
        let p = url(relative)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let p = url(relative)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    func read(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: url(relative))), as: UTF8.self)
    }
}
