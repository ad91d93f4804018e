import KernelTestSupport

/// The shared temporary folder of KernelTestSupport.
typealias TempDirectory = TemporaryDirectory
