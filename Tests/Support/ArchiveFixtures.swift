// Hostile and benign archives for the tests, written by Python's zipfile and tarfile (python3 is a test
// dependency, .ci/install-deps): each fixture is a few lines of Python given `out`, the file to write.
import Foundation

public enum ArchiveFixture {
    /// Runs `script` with `out` bound to `dir/name` and the zipfile, tarfile, io, os, stat modules imported.
    /// Returns the archive's path.
    public static func make(_ dir: TemporaryDirectory, _ name: String, _ script: String) async throws -> String {
        let out = dir.url(name)
        let program = """
            import zipfile, tarfile, io, os, stat, sys, struct
            out = sys.argv[1]
            def tar_add(t, name, data=b"", type=tarfile.REGTYPE, mode=0o644, linkname=""):
                info = tarfile.TarInfo(name)
                info.type = type
                info.mode = mode
                info.linkname = linkname
                info.size = len(data) if type == tarfile.REGTYPE else 0
                t.addfile(info, io.BytesIO(data) if type == tarfile.REGTYPE else None)
            def zip_add(z, name, data=b"", mode=0o100644):
                info = zipfile.ZipInfo(name)
                info.external_attr = mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)

            """ + script
        let run = try await runChildOffPool("/usr/bin/env", ["python3", "-c", program, out])  // python: off the pool
        guard run.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "fixture \(name): \(run.stderr)"])
        }
        return out
    }

    /// A zip holding `entries` (path → text), each with mode 644.
    public static func zip(_ dir: TemporaryDirectory, _ name: String, _ entries: [(String, String)]) async throws -> String {
        let adds = entries.map { "    zip_add(z, \(pythonString($0.0)), \(pythonString($0.1)).encode())" }.joined(separator: "\n")
        return try await make(dir, name, "with zipfile.ZipFile(out, 'w') as z:\n" + (adds.isEmpty ? "    pass" : adds))
    }

    /// A `.tar.gz` holding `entries` (path → text), each with mode 644.
    public static func tarGz(_ dir: TemporaryDirectory, _ name: String, _ entries: [(String, String)]) async throws -> String {
        let adds = entries.map { "    tar_add(t, \(pythonString($0.0)), \(pythonString($0.1)).encode())" }.joined(separator: "\n")
        return try await make(dir, name, "with tarfile.open(out, 'w:gz') as t:\n" + (adds.isEmpty ? "    pass" : adds))
    }

    /// `text` as a Python string literal (JSON's escapes are Python's).
    public static func pythonString(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
