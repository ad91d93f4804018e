// libFuzzer target: SafeArchive on hostile archive bytes (zip, tar, gzip), and the ArchivePath rules.
import Foundation
import FuzzSupport
import Glibc
import KernelFetch

/// One scratch folder per process; each input is written to `input` and unpacked into `out`.
let scratch: String = {
    var template = Array((NSTemporaryDirectory() + "/fuzz-archive-XXXXXX").utf8CString)
    return String(cString: mkdtemp(&template)!)
}()

let limits = ArchiveLimits(maxTotalBytes: 1 << 20, maxEntryBytes: 256 << 10, maxEntries: 64, maxDepth: 8,
                           maxCompressionRatio: 50, ratioFloorBytes: 64 << 10, maxArchiveBytes: 1 << 20)

/// Every path under `root` is a regular file or folder (no link, device or FIFO was created).
func onlyFilesAndFolders(_ root: String) -> Bool {
    guard let walker = FileManager.default.enumerator(atPath: root) else { return false }
    while let relative = walker.nextObject() as? String {
        var st = stat()
        guard lstat(root + "/" + relative, &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFDIR else { return false }
        guard st.st_mode & 0o7002 == 0 else { return false }  // setuid/setgid/sticky/world-write stripped
    }
    return true
}

fuzz { bytes in
    _ = try? ArchivePath.components(Array(bytes.prefix(300)), maxDepth: 8)

    let input = scratch + "/input", out = scratch + "/out"
    FileManager.default.createFile(atPath: input, contents: Data(bytes))
    let outcome = Result { try SafeArchive.extract(URL(fileURLWithPath: input), into: URL(fileURLWithPath: out), limits: limits) }
    let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
    switch outcome {
    case .success(let report):
        if !onlyFilesAndFolders(out) || report.totalBytes > limits.maxTotalBytes { abort() }
    case .failure:
        // A refusal leaves no destination and no staging folder.
        if left.contains("out") || left.contains(where: { $0.hasPrefix(".out.partial") }) { abort() }
    }
    if left.contains(where: { $0 != "input" && $0 != "out" }) { abort() }
    try? FileManager.default.removeItem(atPath: out)
}
