import KernelCLI
import KernelNative

// The module scanner child (see ModuleScanner): before anything else, so it starts fast.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == ModuleScanner.childCommand {
    ModuleScannerChild.main(Array(CommandLine.arguments.dropFirst(2)))
}
KernelCommand.start()
