import Foundation
import KernelTestSupport
import Testing

/// The shared temporary folder and child runner of KernelTestSupport.
typealias TempDirectory = TemporaryDirectory
typealias ProcessRun = ChildRun

/// Runs a child to its end, waited for off the cooperative pool (`runChildOffPool`): a test blocked on a
/// compiler or a `kernel` run must not hold one of the pool's threads (one per core) from the tests beside it.
@discardableResult
func run(_ executable: String, _ arguments: [String], cwd: String? = nil, environment: [String: String] = [:]) async throws -> ProcessRun {
    try await runChildOffPool(executable, arguments, cwd: cwd, environment: environment)
}

enum Paths {
    static let repoRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The build folder: where the test bundle, `kernel` and the dynamic products are.
    static let buildDir: String = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("kernel").path) { return dir.path }
            dir = dir.deletingLastPathComponent()
        }
        return repoRoot + "/.build/debug"
    }()

    static var kernel: String { buildDir + "/kernel" }
    static var builtins: String { buildDir + "/libKernelBuiltins.so" }
    static var swiftTemplate: String { buildDir + "/libKernelTemplateModule.so" }
}

/// Compiles C source into a shared object with the system compiler, against Kernel/ABI.
@discardableResult
func compileModule(_ source: String, to output: String, flags: [String] = []) async throws -> String {
    let dir = (output as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let src = output + ".c"
    try Data(source.utf8).write(to: URL(fileURLWithPath: src))
    let result = try await run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O1", "-I", Paths.repoRoot + "/Kernel/ABI"] + flags
                         + ["-o", output, src])
    try #require(result.status == 0, "cc failed: \(result.stderr)")
    try? FileManager.default.removeItem(atPath: src)
    return output
}

/// The first-party C template (every component kind and a PreToolUse handler).
func templateSource() throws -> String {
    try String(contentsOfFile: Paths.repoRoot + "/Plugins/template/c/module.c", encoding: .utf8)
}

/// A module whose descriptor and register are shaped by -D flags (for the refusal and crash cases).
let variantSource = #"""
#include "kernel_module.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <string.h>

#ifndef MAJOR
#define MAJOR KERNEL_ABI_MAJOR
#endif
#ifndef MINOR
#define MINOR KERNEL_ABI_MINOR
#endif
#ifndef MAGIC
#define MAGIC KERNEL_MODULE_MAGIC
#endif
#ifndef SIZE
#define SIZE sizeof(kernel_module_descriptor)
#endif
#ifndef TOOLCHAIN
#define TOOLCHAIN KERNEL_TOOLCHAIN_C
#endif

static const kernel_module_descriptor d = {MAGIC, (uint32_t)(SIZE), MAJOR, MINOR, 0, "variant", "1.0", TOOLCHAIN};

#ifdef CONSTRUCTOR_TRAP
__attribute__((constructor)) static void boom(void) { __builtin_trap(); }
#endif

const kernel_module_descriptor *kernel_module_describe(void) {
#ifdef MARKER
    int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { write(fd, "x\n", 2); close(fd); }
#endif
#ifdef PRINTS
    printf("garbage on stdout\n{\"path\": \"fake\"}\n");
    fflush(stdout);
    fprintf(stderr, "garbage on stderr\n");
#endif
    return &d;
}

#ifndef NO_REGISTER
int kernel_module_register(const kernel_host *host) {
#ifdef SEGV
    volatile int *p = (int *)0;
    *p = 1;
#endif
#ifdef HANG
    for (;;) pause();
#endif
#ifdef PRINTS
    puts("more garbage");
    fflush(stdout);
#endif
    const char *cmd = "{\"name\": \"variant-cmd\", \"description\": \"from a variant\", \"body\": \"Hi.\"}";
    return host->contribute(host->context, KERNEL_COMPONENT_COMMAND, cmd, strlen(cmd));
}
#endif
"""#
