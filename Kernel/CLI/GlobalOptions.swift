import ArgumentParser

/// Options every command understands.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The user root (default: $QODER_HOME, else ~/.qoder).", valueName: "dir"))
    public var home: String?

    @Option(name: .long, help: ArgumentHelp("The project root (default: nearest ancestor holding .qoder/ or .git).", valueName: "dir"))
    public var project: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    public var json = false

    public init() {}
}

/// Writes to stdout/stderr; the kernel library never prints.
enum Output {
    static func out(_ text: String) {
        print(text)
    }

    static func err(_ text: String) {
        var stderr = StandardError()
        print(text, to: &stderr)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleStderr.write(string)
    }
}

#if canImport(Glibc)
import Glibc
#endif

enum FileHandleStderr {
    static func write(_ string: String) {
        var s = string
        s.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(2, buf.baseAddress! + offset, buf.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
