import KernelCLI
import KernelNative
import KernelTasksServer

// `kernel-tasks-server`: the `kernel` command tree with the HTTP server linked in. `kernel tasks serve` execs
// this executable (so `kernel` itself does not link swift-nio); every other command works here too, including
// the module scanner child that runs as this executable.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == ModuleScanner.childCommand {
    ModuleScannerChild.main(Array(CommandLine.arguments.dropFirst(2)))
}
TaskServeEntry.serve = { request in
    var config = TaskServer.Configuration(userTasksDir: request.userTasksDir, projectTasksDir: request.projectTasksDir)
    config.host = request.host
    config.port = request.port
    config.jsonLogs = request.jsonLogs
    config.runScheduler = request.runScheduler
    config.poll = request.poll
    config.grace = request.grace
    config.githubSecret = request.githubSecret
    config.githubLogin = request.githubLogin
    let server = TaskServer(configuration: config, store: request.store, makeEngine: request.makeEngine)
    try await server.run()
}
KernelCommand.start()
