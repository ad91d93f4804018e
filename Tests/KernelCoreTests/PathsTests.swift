import Testing
@testable import KernelCore

@Suite struct PathsTests {
    @Test func gitProjectFoundFromANestedDirectory() throws {
        let tmp = try TempDirectory()
        let repo = try tmp.mkdir("home/me/code/repo")
        try tmp.mkdir("home/me/code/repo/.git")
        let cwd = try tmp.mkdir("home/me/code/repo/src/deep")
        let paths = KernelPaths(environment: ["HOME": tmp.url("home/me")], cwd: cwd)
        #expect(paths.home == tmp.url("home/me/.qoder"))
        #expect(paths.project == repo)
        #expect(paths.settingsFile(.user) == tmp.url("home/me/.qoder/settings.json"))
        #expect(paths.settingsFile(.project) == repo + "/.qoder/settings.json")
        #expect(paths.settingsFile(.local) == repo + "/.qoder/settings.local.json")
        #expect(paths.projectMCPFile == repo + "/.mcp.json")
    }

    @Test func gitFileMarksAWorktree() throws {
        let tmp = try TempDirectory()
        let wt = try tmp.mkdir("work/wt")
        try tmp.write("work/wt/.git", "gitdir: /elsewhere\n")
        let cwd = try tmp.mkdir("work/wt/a")
        #expect(KernelPaths(environment: ["HOME": tmp.url("home")], cwd: cwd).project == wt)
    }

    @Test func nearestMarkerWinsAndQoderCounts() throws {
        let tmp = try TempDirectory()
        try tmp.mkdir("h/repo/.git")
        try tmp.mkdir("h/repo/packages/app/.qoder")
        let cwd = try tmp.mkdir("h/repo/packages/app/lib")
        let paths = KernelPaths(environment: ["HOME": tmp.url("elsewhere")], cwd: cwd)
        #expect(paths.project == tmp.url("h/repo/packages/app"))
    }

    @Test func aQoderFileIsNotAMarker() throws {
        let tmp = try TempDirectory()
        try tmp.write("h/dir/.qoder", "not a directory")
        let cwd = try tmp.mkdir("h/dir/x")
        #expect(KernelPaths(environment: ["HOME": tmp.url("nohome")], cwd: cwd).project == cwd)
    }

    @Test func noMarkerFallsBackToTheWorkingDirectory() throws {
        let tmp = try TempDirectory()
        let cwd = try tmp.mkdir("home/me/notes/today")
        try tmp.mkdir("home/me/.qoder")
        let paths = KernelPaths(environment: ["HOME": tmp.url("home/me")], cwd: cwd)
        // ~/.qoder is the user root, not a project marker: the walk stops below $HOME.
        #expect(paths.project == cwd)
    }

    @Test func homeItselfIsNotDiscoveredEvenWithADotfilesRepo() throws {
        let tmp = try TempDirectory()
        try tmp.mkdir("home/me/.git")
        try tmp.mkdir("home/me/.qoder")
        let cwd = try tmp.mkdir("home/me/scratch")
        #expect(KernelPaths(environment: ["HOME": tmp.url("home/me")], cwd: cwd).project == cwd)
        // In $HOME itself, the fallback is the working directory.
        #expect(KernelPaths(environment: ["HOME": tmp.url("home/me")], cwd: tmp.url("home/me")).project == tmp.url("home/me"))
    }

    @Test func theUserRootIsNotAMarkerOutsideHomeEither() throws {
        let tmp = try TempDirectory()
        try tmp.mkdir("srv/.qoder")
        let cwd = try tmp.mkdir("srv/app")
        let env = ["HOME": tmp.url("home"), "QODER_HOME": tmp.url("srv/.qoder")]
        #expect(KernelPaths(environment: env, cwd: cwd).project == cwd)
        // Without QODER_HOME pointing there, srv/.qoder is an ordinary project marker.
        #expect(KernelPaths(environment: ["HOME": tmp.url("home")], cwd: cwd).project == tmp.url("srv"))
    }

    @Test func environmentAndFlagsOverride() throws {
        let tmp = try TempDirectory()
        let cwd = try tmp.mkdir("w")
        let env = ["HOME": tmp.url("home"), "QODER_HOME": tmp.url("qh")]
        #expect(KernelPaths(environment: env, cwd: cwd).home == tmp.url("qh"))
        #expect(KernelPaths(environment: ["HOME": tmp.url("home"), "QODER_HOME": ""], cwd: cwd).home == tmp.url("home/.qoder"))
        let flags = KernelPaths(home: "../h2/", project: "./p/../proj", environment: env, cwd: cwd)
        #expect(flags.home == tmp.url("h2"))
        #expect(flags.project == tmp.url("w/proj"))
        #expect(KernelPaths(home: "~/custom", environment: env, cwd: cwd).home == tmp.url("home/custom"))
    }

    @Test func derivedPaths() {
        let p = KernelPaths(home: "/u/.qoder", project: "/p", environment: [:], cwd: "/")
        #expect(p.componentsDir("skills", scope: .user) == "/u/.qoder/skills")
        #expect(p.componentsDir("commands", scope: .project) == "/p/.qoder/commands")
        #expect(p.componentsDir("agents", scope: .local) == "/p/.qoder/agents")
        #expect(p.pluginsDir == "/u/.qoder/plugins")
        #expect(p.cacheDir == "/u/.qoder/plugins/cache")
        #expect(p.installDir(marketplace: "mp", name: "hello", version: "1.0.0") == "/u/.qoder/plugins/cache/mp/hello/1.0.0")
        #expect(p.dataDir(pluginID: "hello-world@my.market") == "/u/.qoder/plugins/data/hello-world-my-market")
        #expect(p.dataDir(pluginID: "a_b/é") == "/u/.qoder/plugins/data/a_b--")
        #expect(p.databaseFile == "/u/.qoder/plugins/kernel.sqlite")
        #expect(Scope.allCases.sorted { $0.priority < $1.priority } == [.user, .project, .local])
    }

    @Test func processDefaults() {
        let p = KernelPaths()
        #expect(p.home.hasPrefix("/"))
        #expect(p.project.hasPrefix("/"))
    }
}
