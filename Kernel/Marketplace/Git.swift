import Foundation
import KernelCore
import KernelProcess

/// The real `git`, run the safe way for fetching what others publish: shallow, no submodules, no `ext::`
/// transport, no repository hooks or fsmonitor, `--` before positionals, URLs and refs that start with `-`
/// refused. The user's credential helpers and ssh-agent are used as they are; without a terminal nothing
/// prompts (a private repository fails instead of hanging), and progress is shown only on a terminal.
public enum Git {
    /// The longest one git command may run (a clone of a large repository over a slow link), in seconds.
    /// Unreachable hosts fail long before: git's own connect errors, ssh's `ConnectTimeout`, and a transfer
    /// slower than 1 KiB/s for 30 s is aborted.
    public static let timeout: Double = 600

    /// Refuses a URL or ref git could read as an option, or that holds a control character.
    public static func checkArgument(_ value: String, what: String) throws(KernelError) {
        if value.hasPrefix("-") {
            throw KernelError(.invalidInput, "\(what) '\(value)' must not start with '-'")
        }
        if value.isEmpty || value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw KernelError(.invalidInput, "\(what) '\(value)' is empty or holds a control character")
        }
    }

    /// Whether `sha` is a full commit id (40 hex digits).
    public static func isCommitID(_ sha: String) -> Bool {
        sha.utf8.count == 40 && sha.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }
    }

    /// Clones `url` into `directory` (which must not exist): `ref` (a branch or tag) or `sha` (a commit; wins
    /// over `ref`), else the default branch, at depth 1. With `sparse`, only those folders (and the files at the
    /// root) are checked out.
    /// - Returns: the commit checked out (40 hex digits).
    @discardableResult
    public static func clone(_ url: String, ref: String?, sha: String?, into directory: String,
                             sparse: [String]? = nil) throws(KernelError) -> String {
        try checkArgument(url, what: "git URL")
        if let ref { try checkArgument(ref, what: "git ref") }
        if let sha, !isCommitID(sha) {
            throw KernelError(.invalidInput, "sha '\(sha)' is not a commit id (40 hexadecimal digits)")
        }
        for path in sparse ?? [] { try checkArgument(path, what: "sparse path") }
        if let sha {
            try run(["init", "--quiet", "--", directory], context: "cannot create \(directory)")
            try run(["-C", directory, "remote", "add", "--", "origin", url], context: "cannot clone \(url)")
            if let sparse { try setSparse(sparse, in: directory, url: url) }
            do {
                try run(["-C", directory, "fetch", "--depth", "1", "--no-recurse-submodules", "--no-tags"] + progressFlag
                        + ["--", "origin", sha.lowercased()], context: "cannot fetch \(sha) from \(url)")
            } catch {
                // A server that does not serve unadvertised commits: fetch everything, then look for it.
                try run(["-C", directory, "fetch", "--no-recurse-submodules", "--tags"] + progressFlag + ["--", "origin"],
                        context: "cannot fetch \(url)")
            }
            try run(["-C", directory, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", sha.lowercased(), "--"],
                    context: "commit \(sha) is not in \(url)")
        } else {
            var args = ["clone", "--depth", "1", "--no-recurse-submodules"] + progressFlag
            if sparse != nil { args.append("--no-checkout") }
            if let ref { args += ["--branch", ref] }
            try run(args + ["--", url, directory], context: ref.map { "cannot clone \(url) at '\($0)'" } ?? "cannot clone \(url)")
            if let sparse {
                try setSparse(sparse, in: directory, url: url)
                try run(["-C", directory, "checkout", "--quiet"], context: "cannot check out \(url)")
            }
        }
        return try head(of: directory)
    }

    /// Brings an existing checkout to the newest commit of `ref` (else the remote's default branch); `sha`
    /// pins a commit instead.
    /// - Returns: the commit checked out before and after.
    public static func update(_ directory: String, ref: String?, sha: String?) throws(KernelError) -> (old: String, new: String) {
        if let ref { try checkArgument(ref, what: "git ref") }
        let old = try head(of: directory)
        let target = sha?.lowercased() ?? ref ?? "HEAD"
        if let sha, !isCommitID(sha) { throw KernelError(.invalidInput, "sha '\(sha)' is not a commit id (40 hexadecimal digits)") }
        if sha?.lowercased() == old { return (old, old) }
        try run(["-C", directory, "fetch", "--depth", "1", "--no-recurse-submodules", "--no-tags"] + progressFlag
                + ["--", "origin", target], context: "cannot fetch '\(target)' from the origin of \(directory)")
        try run(["-C", directory, "reset", "--quiet", "--hard", "FETCH_HEAD", "--"], context: "cannot check out the fetched commit in \(directory)")
        return (old, try head(of: directory))
    }

    /// The commit checked out in `directory`.
    public static func head(of directory: String) throws(KernelError) -> String {
        let out = try run(["-C", directory, "rev-parse", "--verify", "HEAD^{commit}"], context: "cannot read the commit of \(directory)")
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The origin URL of a checkout, if it has one.
    public static func originURL(of directory: String) -> String? {
        guard let out = try? run(["-C", directory, "remote", "get-url", "--", "origin"], context: "") else { return nil }
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func setSparse(_ paths: [String], in directory: String, url: String) throws(KernelError) {
        try run(["-C", directory, "sparse-checkout", "set", "--no-cone", "--"] + paths.flatMap { path -> [String] in
            let p = path.hasPrefix("/") ? path : "/" + path
            return [p.hasSuffix("/") ? p : p + "/"]
        } + ["/*.json", "/.qoder-plugin/", "/.claude-plugin/"], context: "cannot set the sparse checkout of \(url)")
    }

    // MARK: - Running git

    static var onTerminal: Bool { isatty(2) == 1 }

    static var progressFlag: [String] { onTerminal ? ["--progress"] : ["--quiet"] }

    /// The options every command gets.
    static let safety = [
        "-c", "protocol.ext.allow=never", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
        "-c", "submodule.recurse=false", "-c", "http.lowSpeedLimit=1024", "-c", "http.lowSpeedTime=30",
    ]

    static func environment() -> [String] {
        var env = ProcessInfo.processInfo.environment
        env["GIT_TERMINAL_PROMPT"] = onTerminal ? env["GIT_TERMINAL_PROMPT"] : "0"
        env["GIT_ASKPASS"] = onTerminal ? env["GIT_ASKPASS"] : "true"
        if !onTerminal, env["GIT_SSH_COMMAND"] == nil, env["GIT_SSH"] == nil {
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=15"
        }
        return env.compactMap { k, v in "\(k)=\(v)" }
    }

    /// Runs `git <safety> <arguments>`; a non-zero exit is an error quoting git's last lines.
    @discardableResult
    static func run(_ arguments: [String], context: String) throws(KernelError) -> [UInt8] {
        guard let git = ChildProcess.which("git") else {
            throw KernelError(.io, "\(context): git is not installed (not found on PATH)")
        }
        let result: ChildProcess.Captured
        do {
            result = try ChildProcess.capture(git, safety + arguments, environment: environment(), timeout: timeout,
                                              stderrToTerminal: onTerminal && arguments.contains("--progress"))
        } catch {
            throw KernelError(.io, "\(context): \(error)")
        }
        if result.timedOut {
            throw KernelError(.io, "\(context): git did not finish within \(Int(timeout)) s")
        }
        guard result.status == .exited(0) else {
            let lines = String(decoding: result.stderr, as: UTF8.self).split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("Cloning into") }
            let fatal = lines.filter { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") }
            let detail = (fatal.isEmpty ? Array(lines.suffix(3)) : Array(fatal.prefix(2))).joined(separator: "; ")
            throw KernelError(.io, "\(context): " + (detail.isEmpty ? "git exited with \(result.status)" : detail))
        }
        return result.stdout
    }
}
