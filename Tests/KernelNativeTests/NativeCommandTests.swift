import Foundation
import KernelTestSupport
import Testing
import KernelCore
import KernelHost
import KernelNative

/// A module registering native commands (ABI 1.1 `register_command`): `deploy` echoes its arguments and plugin
/// root from the context JSON, `broken` fails. -DMARKER="path": describe appends this process's pid to the file.
let nativeCommandSource = #"""
#define _GNU_SOURCE /* memmem */
#include "kernel_module.h"
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static const kernel_module_descriptor d = KERNEL_MODULE_DESCRIPTOR("deployer", "1.0", KERNEL_TOOLCHAIN_C);

const kernel_module_descriptor *kernel_module_describe(void) {
#ifdef MARKER
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", (int)getpid());
    int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { write(fd, line, (size_t)n); close(fd); }
#endif
    return &d;
}

/* Copies the string value of "key" in the context JSON (no escapes expected in test paths). */
static void field(const char *json, size_t len, const char *key, char *value, size_t cap) {
    char buf[8192];
    size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, json, n);
    buf[n] = 0;
    value[0] = 0;
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *start = strstr(buf, pattern);
    if (!start) return;
    start += strlen(pattern);
    const char *end = strchr(start, '"');
    size_t m = end ? (size_t)(end - start) : strlen(start);
    if (m >= cap) m = cap - 1;
    memcpy(value, start, m);
    value[m] = 0;
}

static int deploy(const char *name, const char *arguments, const char *context, size_t context_len,
                  kernel_sink *out, kernel_sink *err, void *user_data) {
    (void)err;
    if (strcmp(name, "deploy") != 0 || user_data != (void *)&d) return 9;
    char root[4096];
    field(context, context_len, "pluginRoot", root, sizeof root);
    kernel_sink_puts(out, "Deploy ");
    kernel_sink_puts(out, arguments);
    kernel_sink_puts(out, " from ");
    kernel_sink_puts(out, root);
    /* the split arguments, as the context gives them */
    const char *args = memmem(context, context_len, "\"arguments\":", 12);
    if (args) {
        size_t rest = context_len - (size_t)(args - context);
        kernel_sink_puts(out, "\n");
        kernel_sink_write(out, args, rest);
    }
    return 0;
}

static int broken(const char *name, const char *arguments, const char *context, size_t context_len,
                  kernel_sink *out, kernel_sink *err, void *user_data) {
    (void)name; (void)arguments; (void)context; (void)context_len; (void)user_data;
    kernel_sink_puts(out, "never submitted");
    kernel_sink_puts(err, "no deploy target configured");
    return 1;
}

int kernel_module_register(const kernel_host *host) {
    if (!KERNEL_HOST_HAS(host, register_command)) return 1;
    if (host->register_command(host->context, "bad:name", NULL, NULL, deploy, NULL, 0) != -1) return 2;
    if (host->register_command(host->context, "deploy", "Deploy the app", "<env> [flags]", deploy, (void *)&d,
                               KERNEL_HOOK_THREAD_SAFE) != 0) return 3;
    return host->register_command(host->context, "broken", "Always fails", NULL, broken, NULL, 0);
}
"""#

@Suite struct NativeCommandTests {
    // A liveness bound, not a speed check: an AddressSanitizer `kernel` on a loaded machine takes seconds to start.
    let scanner = ModuleScanner(executable: Paths.kernel, timeout: 60)

    /// A plugin folder `name` holding only the native-command module.
    func plugin(_ dir: TempDirectory, _ name: String, marker: String? = nil) async throws -> String {
        try await compileModule(nativeCommandSource, to: dir.url("\(name)/modules/deployer.so"),
                          flags: marker.map { ["-DMARKER=\"\($0)\""] } ?? [])
        return dir.url(name)
    }

    @Test func libraryListsWithoutLoadingAndRendersOnUse() async throws {
        let dir = try TempDirectory()
        let pluginDir = try await plugin(dir, "ship")
        let project = dir.url("project")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let host = try PluginHost(paths: KernelPaths(home: dir.url("home"), project: project),
                                  modules: ModuleOptions(builtinDirectories: [], scanner: scanner))
        let c = try host.compose(pluginDirs: [pluginDir])

        guard case .found(let entry) = c.registry.command(named: "ship:deploy") else {
            Issue.record("ship:deploy not found: \(c.registry.commands.map(\.name)) \(c.registry.diagnostics)")
            return
        }
        #expect(entry.provenance.source == .module && entry.provenance.pluginName == "ship" && entry.state.isActive)
        #expect(entry.item.isNative && entry.item.body.isEmpty)
        #expect(entry.item.description == "Deploy the app" && entry.item.argumentHint == "<env> [flags]")
        // The invalid name was refused (a warning), the two others listed.
        #expect(c.registry.commands.filter { $0.item.isNative }.map(\.name).sorted() == ["ship:broken", "ship:deploy"])
        let native = try #require(c.registry.nativeCommand(for: entry) as? NativeModuleCommand)
        #expect(!native.isLoaded, "composing must not load the module")

        let prompt = try host.renderCommand(named: "deploy", arguments: ["prod", "--fast lane"], composition: c)
        #expect(prompt == "Deploy prod --fast lane from \(pluginDir)\n\"arguments\":[\"prod\",\"--fast lane\"]}")
        #expect(native.isLoaded)
        // The handler itself, from a raw string (split shell-like).
        let raw = try native.render(arguments: "a 'b c'", context: RenderContext(pluginRoot: "/r"))
        #expect(raw == "Deploy a 'b c' from /r\n\"arguments\":[\"a\",\"b c\"]}")

        #expect(throws: KernelError.self) { try host.renderCommand(named: "ship:broken", arguments: [], composition: c) }
        let broken = try #require(c.registry.commands.first { $0.name == "ship:broken" })
        let brokenHandler = try #require(c.registry.nativeCommand(for: broken))
        do throws(NativeCommandError) {
            _ = try brokenHandler.render(arguments: [], context: RenderContext())
            Issue.record("broken rendered")
        } catch {
            #expect(error.exitCode == 1)
            #expect(error.message == "native command broken returned 1: no deploy target configured")
        }
    }

    @Test func scanRecordsCommandsAndRoundTrips() async throws {
        let dir = try TempDirectory()
        let path = try await compileModule(nativeCommandSource, to: dir.url("m/deployer.so"))
        let result = ModuleCatalog(options: ModuleOptions(builtinDirectories: [], scanner: scanner), store: nil)
            .scan([ModuleScanJob(path: path)])[0]
        #expect(result.state == .ok, "\(result.stateDescription)")
        #expect(result.commands.map(\.name) == ["deploy", "broken"])
        #expect(result.commands[0].description == "Deploy the app" && result.commands[0].argumentHint == "<env> [flags]")
        #expect(result.commands[1].argumentHint == nil && result.commands[0].flags == 1)
        #expect(result.logs.contains { $0.message.contains("invalid command name 'bad:name'") })
        let decoded = try #require(ModuleScanResult(decoding: Array(result.encoded().utf8)))
        #expect(decoded.commands == result.commands)
        // A built-in module's native command has its bare name.
        let module = ModuleCatalog.components(of: result, job: ModuleScanJob(path: path), fromPlugin: false)
        let registry = Resolver.compose(RegistryInput(sources: [.builtinModule(module)]))
        guard case .found(let e) = registry.command(named: "deploy") else { Issue.record("deploy not found"); return }
        #expect(e.provenance.source == .module && e.provenance.pluginID == nil)
        #expect(try registry.nativeCommand(for: e)?.render(arguments: "x", context: RenderContext(pluginRoot: "/p"))
                    .hasPrefix("Deploy x from /p") == true)
    }

    /// Runs `kernel` and returns its pid with the result.
    func kernel(_ arguments: [String]) async throws -> (pid: Int32, run: ProcessRun) {
        let r = try await run(Paths.kernel, arguments)
        return (r.pid, r)
    }

    @Test func cliListsWithoutLoadingAndRendersThroughTheModule() async throws {
        let dir = try TempDirectory()
        let marker = dir.url("opened.txt")
        let pluginDir = try await plugin(dir, "ship", marker: marker)
        let project = dir.url("project")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        // Options first: render passes everything after the name through to the command.
        let common = ["--plugin-dir", pluginDir, "--home", dir.url("home"), "--project", project]
        func openers() -> [String] {
            ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        let (listPID, list) = try await kernel(["commands", "list", "--json"] + common)
        #expect(list.status == 0, "\(list.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let deploy = try #require(rows.first { $0["name"] as? String == "ship:deploy" })
        #expect(deploy["source"] as? String == "module" && deploy["native"] as? Bool == true)
        #expect(deploy["description"] as? String == "Deploy the app" && deploy["argumentHint"] as? String == "<env> [flags]")
        // Only the scanner child opened it, not the listing process.
        #expect(openers().count == 1 && !openers().contains(String(listPID)))
        // Warm: the scan comes from the cache, nothing opens the module.
        let (_, warm) = try await kernel(["commands", "list", "--json"] + common)
        #expect(warm.status == 0 && warm.stdout.contains("ship:deploy"))
        #expect(openers().count == 1)

        let (_, show) = try await kernel(["commands", "show", "ship:deploy"] + common)
        #expect(show.status == 0 && show.stdout.contains("Native:") && show.stdout.contains("deployer.so"))
        #expect(openers().count == 1)

        let (renderPID, render) = try await kernel(["commands", "render"] + common + ["ship:deploy", "a", "b"])
        #expect(render.status == 0, "\(render.stderr)")
        #expect(render.stdout.hasPrefix("Deploy a b from \(pluginDir)\n\"arguments\":[\"a\",\"b\"]}"))
        #expect(openers() == [openers()[0], String(renderPID)], "render opens the module in the kernel process")

        let (_, failed) = try await kernel(["commands", "render"] + common + ["ship:broken"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("no deploy target configured"))
        #expect(!failed.stdout.contains("never submitted"))
    }
}
