import Foundation
import KernelTestSupport
import Testing

@Suite struct ChildRunTests {
    /// A child filling its stderr pipe (64 KiB) while the test reads stdout must not deadlock: both are read at
    /// once. (Reading stdout to its end first would block here forever.)
    @Test func moreThanAPipeOfStderrBeforeStdoutEnds() throws {
        let r = try runChild("/bin/bash", ["-c", "head -c 300000 /dev/zero | tr '\\\\0' e >&2; echo out"])
        #expect(r.status == 0 && r.stdout == "out\n" && r.stderr.count == 300_000)
    }

    @Test func stdinIsGivenWhileOutputIsRead() throws {
        let big = String(repeating: "x", count: 200_000)
        let r = try runChild("/bin/cat", [], stdin: big)
        #expect(r.stdout.count == 200_000)
    }
}
