import Foundation
import Testing

@Suite("kernel hooks fire (end to end)")
struct HooksFireTests {
    /// A home and a project folder; `settings` goes in the project's settings.json.
    func setUp(projectSettings: String? = nil, userSettings: String? = nil) throws -> (TempDir, String, String) {
        let dir = try TempDir()
        if let projectSettings { try dir.write("proj/.qoder/settings.json", projectSettings) }
        if let userSettings { try dir.write("home/settings.json", userSettings) }
        try FileManager.default.createDirectory(atPath: dir.path + "/proj/.qoder", withIntermediateDirectories: true)
        return (dir, dir.path + "/home", dir.path + "/proj")
    }

    func fire(_ event: String, _ input: String, home: String, project: String, extra: [String] = []) async throws -> (KernelRun, [String: Any]) {
        let run = try await kernel(["hooks", "fire", event, "--json", "--home", home, "--project", project] + extra, stdin: input)
        return (run, try parseJSON(run.stdout))
    }

    let bash = #"{"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "rm -rf /"}}"#

    @Test("exit 2 on a blocking event: exit status 2 and the deny in JSON; non-blocking event: status 0")
    func blockingExitStatus() async throws {
        let settings = #"{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo blocked >&2; exit 2"}]}], "PostToolUse": [{"hooks": [{"type": "command", "command": "exit 2"}]}]}}"#
        let (dir, home, project) = try setUp(userSettings: settings)
        _ = dir
        let (run, json) = try await fire("PreToolUse", bash, home: home, project: project)
        #expect(run.status == 2)
        #expect(json["decision"] as? String == "deny" && json["reason"] as? String == "blocked" && json["blocked"] as? Bool == true)
        let handlers = try #require(json["handlers"] as? [[String: Any]])
        #expect(handlers.count == 1 && handlers[0]["exitCode"] as? Int == 2 && handlers[0]["source"] as? String == "user")
        let (run2, json2) = try await fire("PostToolUse", bash, home: home, project: project)
        #expect(run2.status == 0 && json2["blocked"] as? Bool == false && (json2["errors"] as? [String])?.count == 1)
        // The matcher: a Read call runs nothing.
        let (run3, json3) = try await fire("PreToolUse", #"{"tool_name": "Read", "tool_input": {"file_path": "/x"}}"#, home: home, project: project)
        #expect(run3.status == 0 && (json3["handlers"] as? [Any])?.isEmpty == true && json3["decision"] as? String == "none")
    }

    @Test("an untrusted project's hooks do not run; after kernel trust they do")
    func untrustedProject() async throws {
        let (dir, home, project) = try setUp(projectSettings: #"{"hooks": {"PreToolUse": [{"hooks": [{"type": "command", "command": "touch ran; exit 2"}]}]}}"#)
        let (run, json) = try await fire("PreToolUse", bash, home: home, project: project)
        #expect(run.status == 0 && (json["handlers"] as? [Any])?.isEmpty == true)
        #expect(!FileManager.default.fileExists(atPath: project + "/ran"))
        let list = try await kernel(["hooks", "list", "--home", home, "--project", project])
        #expect(list.stdout.contains("inactive: project not trusted"))
        try await kernel(["trust", project, "--home", home])
        let (run2, _) = try await fire("PreToolUse", bash, home: home, project: project)
        #expect(run2.status == 2)
        #expect(FileManager.default.fileExists(atPath: project + "/ran"))
        _ = dir
    }

    /// A plugin folder (in a path with a space) whose hook prints its root and data folder.
    func plugin(in dir: TempDir, name: String = "spaced") throws -> String {
        let root = "plugin dir/\(name)"
        try dir.write("\(root)/.qoder-plugin/plugin.json", #"{"name": "\#(name)", "version": "1.0.0"}"#)
        try dir.write("\(root)/hooks/hooks.json", #"""
            {"hooks": {"SessionStart": [{"matcher": "startup", "hooks": [
              {"type": "command", "command": "\"${QODER_PLUGIN_ROOT}\"/scripts/hello.sh"},
              {"type": "command", "command": "${QODER_PLUGIN_ROOT}/scripts/hello.sh", "args": ["exec form", "${CLAUDE_PLUGIN_ROOT}"]}
            ]}]}}
            """#)
        let script = try dir.write("\(root)/scripts/hello.sh", "#!/bin/bash\necho \"root=$QODER_PLUGIN_ROOT data=$CLAUDE_PLUGIN_DATA args=$*\"\n")
        chmod(script, 0o755)
        return dir.path + "/" + root
    }

    @Test("${QODER_PLUGIN_ROOT} with a space in the path, shell and exec form; QODER_PLUGIN_DATA exported")
    func pluginRootWithSpace() async throws {
        let (dir, home, project) = try setUp()
        let root = try plugin(in: dir)
        let (run, json) = try await fire("SessionStart", #"{"source": "startup"}"#, home: home, project: project, extra: ["--plugin-dir", root])
        #expect(run.status == 0, "\(run.stderr)")
        let context = try #require(json["additionalContext"] as? String)
        let lines = context.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("root=\(root) data=\(home)/plugins/data/spaced-flag args="))
        #expect(lines[1].hasSuffix("args=exec form \(root)"))
        let handlers = try #require(json["handlers"] as? [[String: Any]])
        #expect(handlers.allSatisfy { $0["plugin"] as? String == "spaced@flag" && $0["exitCode"] as? Int == 0 })
    }

    @Test("a disabled plugin's hooks never run")
    func disabledPlugin() async throws {
        let (dir, home, project) = try setUp()
        let root = try plugin(in: dir, name: "quiet")
        let install = try await kernel(["plugins", "install", root, "--home", home, "--project", project])
        #expect(install.status == 0, "\(install.stderr)")
        let (_, enabled) = try await fire("SessionStart", #"{"source": "startup"}"#, home: home, project: project)
        #expect((enabled["handlers"] as? [Any])?.count == 2)
        try await kernel(["plugins", "disable", "quiet", "--home", home, "--project", project])
        let (run, json) = try await fire("SessionStart", #"{"source": "startup"}"#, home: home, project: project)
        #expect(run.status == 0 && (json["handlers"] as? [Any])?.isEmpty == true && json["additionalContext"] is NSNull)
    }

    @Test("async handlers run detached; the next fire of the session reports them")
    func asyncDetached() async throws {
        let settings = #"{"hooks": {"PostToolUse": [{"async": true, "hooks": [{"type": "command", "command": "sleep 0.2; echo background done"}]}]}}"#
        let (dir, home, project) = try setUp(userSettings: settings)
        _ = dir
        let (run, json) = try await fire("PostToolUse", bash, home: home, project: project, extra: ["--session", "X"])
        #expect(run.status == 0)
        #expect((json["handlers"] as? [[String: Any]])?.first?["async"] as? Bool == true)
        var found: [[String: Any]] = []
        for _ in 0..<40 where found.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            let (_, later) = try await fire("Stop", "{}", home: home, project: project, extra: ["--session", "X"])
            found = later["asyncResults"] as? [[String: Any]] ?? []
        }
        let record = try #require(found.first?["record"] as? [String: Any])
        #expect(record["stdout"] as? String == "background done\n" && record["exitCode"] as? Int == 0)
    }

    @Test("bad input: unknown event and non-object input fail with status 1")
    func badInput() async throws {
        let (dir, home, project) = try setUp()
        _ = dir
        let unknown = try await kernel(["hooks", "fire", "PreToolUs", "--home", home, "--project", project], stdin: "{}")
        #expect(unknown.status == 1 && unknown.stderr.contains("did you mean 'PreToolUse'"))
        let notObject = try await kernel(["hooks", "fire", "Stop", "--home", home, "--project", project], stdin: "[1]")
        #expect(notObject.status == 1)
        // The synchronous commands still run under the async entry point.
        #expect(try await kernel(["plugins", "list", "--home", home, "--project", project]).status == 0)
    }
}
