import Foundation
import KernelCore
import KernelMCP
import KernelTestSupport
import MCP
import Synchronization
import Testing

@Suite("kernel mcp serve, through the SDK's client")
struct ServeTests {
    @Test("prompts from commands and skills (arguments from argument-hint), rendered; skills and agents as resources; a plugin toggled is noticed")
    func serve() async throws {
        let home = try TemporaryDirectory()
        let project = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: project.url(".git"), withIntermediateDirectories: true)
        try project.write(".qoder/commands/review.md", "---\ndescription: Review a file\nargument-hint: <file> [focus]\n---\nReview $0 with focus on $1.\n")
        let install = try await runChildOffPool(kernelExecutable, ["plugins", "install", Paths.helloWorld, "--home", home.path,
                                                                   "--project", project.path])
        #expect(install.status == 0, "\(install.stderr)")

        let t = try target("{\"command\": \"\(kernelExecutable)\", \"args\": [\"mcp\", \"serve\", \"--poll\", \"0.1\", \"--home\", \"\(home.path)\", \"--project\", \"\(project.path)\"]}",
                           name: "kernel", projectDir: project.path)
        var options = MCPSessionOptions()
        options.initializeTimeout = 60
        let session = try await MCPSession.open(t, options: options)
        #expect(session.serverInfo.name == "kernel")
        #expect(session.capabilities.prompts?.listChanged == true)
        let changes = Mutex(0)
        await session.onNotification(PromptListChangedNotification.self) { _ in changes.withLock { $0 += 1 } }

        let prompts = try await session.prompts()
        let review = try #require(prompts.first { $0.name == "review" })
        #expect(review.description == "Review a file")
        #expect(review.arguments?.map(\.name) == ["file", "focus"])
        #expect(review.arguments?.map { $0.required == true } == [true, false])
        #expect(prompts.contains { $0.name == "hello-world:hello" })
        #expect(prompts.contains { $0.name == "hello-world:greet" })

        let rendered = try await session.prompt("review", arguments: ["file": "main.swift", "focus": "errors"])
        #expect(rendered.messages == [.user(.text(text: "Review main.swift with focus on errors.\n"))])

        let resources = try await session.resources()
        #expect(resources.map(\.uri).contains("kernel://skills/hello-world:greet"))
        #expect(resources.map(\.uri).contains("kernel://agents/greeter"))
        let agent = try await session.read("kernel://agents/greeter")
        #expect(agent.first?.text?.hasPrefix("---") == true)

        // Disabling the plugin (another process editing the settings) is noticed: list_changed, and it is gone.
        let disable = try await runChildOffPool(kernelExecutable, ["plugins", "disable", "hello-world", "--home", home.path,
                                                                   "--project", project.path])
        #expect(disable.status == 0, "\(disable.stderr)")
        for _ in 0..<3000 where changes.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(changes.withLock { $0 } >= 1)
        let after = try await session.prompts()
        #expect(!after.contains { $0.name == "hello-world:hello" })
        #expect(after.contains { $0.name == "review" })
        await session.close()
    }
}
