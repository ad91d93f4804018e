import Testing
@testable import KernelCLI

