#if canImport(Glibc)
import Glibc
#endif
import KernelCore

extension Output {
    /// Writes `bytes` and a newline to stdout as they are, without `print`'s dynamic casts over its argument:
    /// large JSON outputs are built as bytes and go out in one write. Whatever `print` buffered is flushed
    /// first, so the order of the output is kept.
    static func out(bytes: [UInt8]) {
        fflush(nil)
        var all = bytes
        all.append(0x0A)
        FileSystem.writeAll(1, all)
    }
}
