import KernelCore
import Testing

/// The resolver's precedence table and gating rules, on synthetic sources (no file is read).
@Suite struct ResolverTests {
    func command(_ name: String, _ file: String) -> CommandDefinition {
        CommandDefinition(name: name, body: "", bodyLine: 1, file: file)
    }

    func agent(_ name: String, _ file: String) -> AgentDefinition {
        AgentDefinition(name: name, description: "d", body: "", bodyLine: 1, file: file)
    }

    func server(_ name: String, _ file: String) -> MCPServerDefinition {
        MCPServerDefinition(name: name, transport: .stdio, node: Node(.object([]), line: 1, column: 1), file: file, line: 1, column: 1)
    }

    func hook(_ event: String, _ file: String) -> HookMatcherGroup {
        HookMatcherGroup(event: event, handlers: [], file: file, line: 1, column: 1)
    }

    func plugin(_ name: String, scope: Scope?, enabled: Bool = true, _ fill: (inout Contributions) -> Void) -> PluginInstance {
        var bundle = PluginBundle(root: "/plugins/\(name)", name: name, manifestFormat: .none)
        fill(&bundle.contributions)
        return PluginInstance(id: "\(name)@m", scope: scope, bundle: bundle, enabled: enabled, dataDir: "/data/\(name)")
    }

    func active<T>(_ entries: [RegistryEntry<T>], _ name: String) -> [RegistryEntry<T>] {
        entries.filter { $0.name == name && $0.state.isActive }
    }

    @Test func theTableRanksEverySourceAsTheSeedsSay() {
        let rank = { (p: Provenance) in Precedence.rank(p) }
        let builtin = rank(Provenance(source: .builtin)), module = rank(Provenance(source: .module))
        let user = rank(Provenance(source: .user, scope: .user)), project = rank(Provenance(source: .project, scope: .project))
        let local = rank(Provenance(source: .local, scope: .local))
        let pluginUser = rank(Provenance(source: .plugin, scope: .user, pluginID: "p@m"))
        let pluginProject = rank(Provenance(source: .plugin, scope: .project, pluginID: "p@m"))
        let pluginLocal = rank(Provenance(source: .plugin, scope: .local, pluginID: "p@m"))
        let pluginDir = rank(Provenance(source: .flag, pluginID: "p@flag"))
        let pluginModule = rank(Provenance(source: .module, scope: .project, pluginID: "p@m"))
        let flagAgents = rank(Provenance(source: .flag))
        #expect(builtin == module)
        #expect(builtin < user && user < project && project < local)
        #expect(local < pluginUser && pluginUser < pluginProject && pluginProject < pluginLocal && pluginLocal < pluginDir)
        #expect(pluginModule == pluginProject)
        #expect(pluginDir < flagAgents)
    }

    @Test func projectCommandsBeatUserOnesAndPluginOnesAreNamespaced() {
        var user = Contributions(), project = Contributions()
        user.commands = [command("deploy", "/u/deploy.md")]
        project.commands = [command("deploy", "/p/deploy.md")]
        let p = plugin("ship", scope: .user) { $0.commands = [command("deploy", "/plugins/ship/commands/deploy.md")] }
        let r = Resolver.compose(RegistryInput(sources: [.scope(.user, user), .scope(.project, project)] + p.sources))
        #expect(active(r.commands, "deploy").map(\.provenance.file) == ["/p/deploy.md"])
        #expect(r.commands.first { $0.provenance.file == "/u/deploy.md" }?.state.reason?.contains("shadowed by project") == true)
        #expect(active(r.commands, "ship:deploy").count == 1)
        let e = active(r.commands, "ship:deploy")[0]
        #expect(e.provenance.pluginRoot == "/plugins/ship" && e.provenance.pluginData == "/data/ship")
    }

    @Test func theSamePluginAtTwoScopesKeepsTheMoreSpecificCopy() {
        let atUser = plugin("ship", scope: .user) { $0.skills = [SkillDefinition(name: "s", description: "d", folderName: "s", body: "", bodyLine: 1, file: "/u/SKILL.md")] }
        let atLocal = plugin("ship", scope: .local) { $0.skills = [SkillDefinition(name: "s", description: "d", folderName: "s", body: "", bodyLine: 1, file: "/l/SKILL.md")] }
        let r = Resolver.compose(RegistryInput(sources: atLocal.sources + atUser.sources))
        #expect(active(r.skills, "ship:s").map(\.provenance.file) == ["/l/SKILL.md"])
    }

    @Test func agentsBuiltinUserProjectPluginFlag() {
        var builtin = Contributions(), user = Contributions(), project = Contributions(), flag = Contributions()
        builtin.agents = [agent("a", "builtin")]
        user.agents = [agent("a", "user")]
        project.agents = [agent("a", "project")]
        flag.agents = [agent("a", "flag")]
        let p = plugin("ship", scope: .user) { $0.agents = [agent("a", "plugin")] }
        let all: [ContributionSource] = [.builtin(builtin), .scope(.user, user), .scope(.project, project)] + p.sources + [.flag(flag)]
        #expect(active(Resolver.compose(RegistryInput(sources: all)).agents, "a").map(\.provenance.file) == ["flag"])
        #expect(active(Resolver.compose(RegistryInput(sources: Array(all.dropLast()))).agents, "a").map(\.provenance.file) == ["plugin"])
        #expect(active(Resolver.compose(RegistryInput(sources: Array(all.prefix(3)))).agents, "a").map(\.provenance.file) == ["project"])
        #expect(active(Resolver.compose(RegistryInput(sources: Array(all.prefix(2)))).agents, "a").map(\.provenance.file) == ["user"])
        // A tie keeps the first.
        #expect(active(Resolver.compose(RegistryInput(sources: [.scope(.user, user), .scope(.user, project)])).agents, "a")
                    .map(\.provenance.file) == ["user"])
    }

    @Test func mcpServersLocalBeatsProjectBeatsUser() {
        var user = Contributions(), project = Contributions(), local = Contributions()
        user.mcpServers = [server("db", "user")]
        project.mcpServers = [server("db", "project")]
        local.mcpServers = [server("db", "local")]
        let r = Resolver.compose(RegistryInput(sources: [.scope(.user, user), .scope(.project, project), .scope(.local, local)]))
        #expect(active(r.mcpServers, "db").map(\.provenance.file) == ["local"])
        #expect(r.mcpServers.filter { $0.state.name == "shadowed" }.count == 2)
    }

    @Test func hooksNeverShadowAndAllSourcesMerge() {
        var user = Contributions(), project = Contributions()
        user.hooks = [hook("Stop", "user")]
        project.hooks = [hook("Stop", "project")]
        let p = plugin("ship", scope: .user) { $0.hooks = [hook("Stop", "plugin")] }
        let r = Resolver.compose(RegistryInput(sources: [.scope(.user, user), .scope(.project, project)] + p.sources))
        #expect(active(r.hooks, "Stop").map(\.provenance.file) == ["user", "project", "plugin"])
    }

    @Test func disabledPluginsAreInactiveAndUntrustedProjectsRunNothingProjectScoped() {
        var project = Contributions()
        project.hooks = [hook("Stop", "project-settings")]
        project.commands = [command("c", "project-command")]
        let disabled = plugin("off", scope: .user, enabled: false) { $0.commands = [command("x", "off-x")] }
        let projectPlugin = plugin("team", scope: .project) {
            $0.commands = [command("y", "team-y")]
            $0.hooks = [hook("Stop", "team-hook")]
            $0.mcpServers = [server("s", "team-mcp")]
        }
        let userPlugin = plugin("mine", scope: .user) { $0.hooks = [hook("Stop", "mine-hook")] }
        let sources: [ContributionSource] = [.scope(.project, project)] + disabled.sources + projectPlugin.sources + userPlugin.sources
        let r = Resolver.compose(RegistryInput(sources: sources, projectTrusted: false))
        #expect(r.commands.first { $0.name == "off:x" }?.state == .inactive(reason: "plugin off@m is disabled"))
        // Prompt components run nowhere: listed and active even when untrusted.
        #expect(r.commands.first { $0.name == "c" }?.state == .active)
        #expect(r.commands.first { $0.name == "team:y" }?.state == .active)
        #expect(r.hooks.filter { !$0.state.isActive }.map(\.provenance.file) == ["project-settings", "team-hook"])
        #expect(r.hooks.filter { $0.state.isActive }.map(\.provenance.file) == ["mine-hook"])
        #expect(r.mcpServers.first?.state == .inactive(reason: Resolver.untrustedReason))
        let trusted = Resolver.compose(RegistryInput(sources: sources, projectTrusted: true))
        #expect(trusted.hooks.allSatisfy { $0.state.isActive })
    }

    @Test func kindsNarrowWhatIsRegistered() {
        let p = plugin("ship", scope: .user) {
            $0.commands = [command("c", "c")]
            $0.hooks = [hook("Stop", "h")]
            $0.mcpServers = [server("s", "s")]
        }
        let r = Resolver.compose(RegistryInput(sources: p.sources, kinds: ["hooks"]))
        #expect(r.hooks.count == 1 && r.commands.isEmpty && r.mcpServers.isEmpty)
    }

    @Test func everyKindIsInTheTableOnce() {
        let names = Contributions.kinds.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(Set(names) == ["commands", "skills", "agents", "hooks", "mcpServers", "outputStyles", "nativeHooks",
                               "evaluators", "nativeCommands"])
        var c = Contributions()
        #expect(c.isEmpty)
        c.outputStyles = [OutputStyleDefinition(name: "o", file: "o.md")]
        #expect(!c.isEmpty)
    }
}
