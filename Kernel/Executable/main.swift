import KernelCLI

await KernelCommand.entry()
