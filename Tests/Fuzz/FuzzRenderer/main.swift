// libFuzzer target: the command renderer. The input is the command body, a NUL, then the raw arguments.
import FuzzSupport
import KernelCore

fuzz { bytes in
    let (body, raw) = splitAtNUL(bytes)
    let context = RenderContext(pluginRoot: "/p", pluginData: "/d", projectDir: "/w", sessionID: "s")
    _ = CommandRenderer.render(body, rawArguments: raw, context: context)
    _ = CommandRenderer.render(body, arguments: CommandRenderer.splitArguments(raw), context: context)
}
