#if canImport(Glibc)
import Glibc
#endif

extension Output {
    /// Writes `bytes` and a newline to stdout as they are, without `print`'s dynamic casts over its argument:
    /// large JSON outputs are built as bytes and go out in one write. Whatever `print` buffered is flushed
    /// first, so the order of the output is kept.
    static func out(bytes: [UInt8]) {
        fflush(nil)
        var all = bytes
        all.append(0x0A)
        all.withUnsafeBufferPointer { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(1, buf.baseAddress! + offset, buf.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
