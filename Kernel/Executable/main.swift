import KernelCLI

await KernelCommand.main()
