// libFuzzer target: the marketplace parser (marketplace.json).
import FuzzSupport
import KernelCore

fuzz { bytes in
    var d = Diagnostics()
    _ = MarketplaceParser.parse(bytes, file: "marketplace.json", diagnostics: &d)
}
