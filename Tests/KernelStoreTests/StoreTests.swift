import Testing
@testable import KernelStore

@Suite struct StoreSmokeTests {
    @Test func opensInMemory() throws {
        let store = try KernelStore.inMemory()
        #expect(try store.receipts().isEmpty)
    }
}
