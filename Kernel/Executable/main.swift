import KernelCLI

KernelCommand.main()
