/*
 * kernel_module.h — the whole contract between the Kernel plugin host and a native module.
 *
 * A native module is a shared object (`.so`) that contributes components (commands, skills, subagents, hooks,
 * MCP servers, output styles) and in-process hook handlers, exactly as a plugin's files do. It may be written in
 * C, in Swift (a SwiftPM `.dynamic` product exporting the entry points with `@_cdecl`, importing only this
 * header as the `KernelABI` module) or in anything that can export C functions.
 *
 * Build one in C:
 *     cc -shared -fPIC -I Kernel/ABI -o modules/mine.so mine.c
 *
 * ENTRY POINTS (both required, both `extern "C"`, default visibility)
 *
 *   const kernel_module_descriptor *kernel_module_describe(void);
 *       Pure: no side effects, no allocation, no output; returns a pointer to a static descriptor that stays
 *       valid for the life of the process. Build it with KERNEL_MODULE_DESCRIPTOR(name, version, toolchain)
 *       (C) or kernel_module_descriptor_make (Swift), so that magic, size and ABI version are those of the
 *       header the module was compiled against.
 *
 *   int kernel_module_register(const kernel_host *host);
 *       Called once per process in which the module is opened (the scanner child, and the host the first time
 *       one of the module's hook handlers, evaluators or native commands is invoked: listing never opens it).
 *       Contributes components and registers hook handlers (and, since ABI 1.1, evaluators and native commands)
 *       through `host`; returns 0, or non-zero to refuse (the module is then reported broken).
 *       Must be deterministic: the same calls in the same order every time (the host identifies handlers by
 *       the order in which they were registered). `host` and every pointer in it are valid only during the
 *       call; do not keep them.
 *
 * THE HANDSHAKE
 *   The host checks, in this order: magic (KERNEL_MODULE_MAGIC), size (at least the size of the version-1.0
 *   descriptor), ABI major (must equal the host's), ABI minor (must be <= the host's: a module built against a
 *   newer header is refused), toolchain ("c", or "swift-X.Y" equal to the host's Swift). A refusal names the
 *   field, the module's value and the host's. Modules are opened with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE
 *   and never closed.
 *
 * OWNERSHIP AND LIFETIME
 *   - Only C types cross. Strings are NUL-terminated UTF-8; JSON is passed as bytes with a length.
 *   - The host copies every string and buffer it is given before the call returns: pass stack or temporary
 *     memory freely; the module keeps ownership of what it passes.
 *   - Handler output goes to host-owned sinks (`out`, `err`) through kernel_sink_write / kernel_sink_puts; the
 *     sinks are valid only during the handler call.
 *   - `user_data` given to register_hook (or register_evaluator) is passed back untouched to the handler; the
 *     module owns it and must keep it valid for the life of the process (the module is never unloaded).
 *   - An evaluator (ABI 1.1) gets the request JSON as bytes with a length (valid during the call only) and
 *     writes its reply JSON to the host-owned `out` sink.
 *   - A native command (ABI 1.1) gets its name, the raw argument string (NUL-terminated) and the context JSON
 *     (bytes with a length), all valid during the call only, and writes the prompt text to the host-owned `out`
 *     sink. `user_data` given to register_command follows the same rule as for hooks.
 *
 * THREADING
 *   - register runs on one thread, once per process.
 *   - A handler registered with KERNEL_HOOK_THREAD_SAFE may be called concurrently from several threads;
 *     without it the host serializes calls to that handler.
 *   - An evaluator is called from any thread (a host thread off the agent's event loop: it may block for a
 *     model's answer); KERNEL_HOOK_THREAD_SAFE means the same as for hooks. The host bounds the wait by the
 *     hook's timeout but cannot interrupt the call: a late reply is discarded.
 *   - A native command is called on the thread that renders it (a CLI invocation, or an embedder's thread);
 *     KERNEL_HOOK_THREAD_SAFE means the same as for hooks. It should return promptly: it produces text and
 *     must not wait for a model.
 *   - log may be called during register; kernel_sink_write from any thread during the handler call.
 *
 * A MODULE MUST NEVER
 *   - write to stdout or stderr (file descriptors 1 and 2 belong to the agent CLI's protocol; use log or the
 *     sinks), call exit/abort or raise signals, throw C++ or Swift errors across these functions, or longjmp out;
 *   - keep `host`, a sink, the request, a command's arguments or context, or any pointer the host gave it after the
 *     call returns;
 *   - pass Swift or C++ objects through these functions (two copies of a Swift module in host and plugin break
 *     casts): only the C types of this header;
 *   - block for long in a hook handler (the host applies no timeout to in-process code; an evaluator may
 *     block, see kernel_evaluator_fn) or start work in an ELF constructor (`__attribute__((constructor))`,
 *     Swift global initializers with side effects).
 *
 * VERSIONING
 *   The tables only ever grow: new fields are appended and bump KERNEL_ABI_MINOR. Both structs start with
 *   their size; read a field only if `size` covers it (KERNEL_HOST_HAS(host, field)). Removing or changing a
 *   field bumps KERNEL_ABI_MAJOR.
 *     1.0  contribute, register_hook, log.
 *     1.1  register_evaluator (prompt/agent hooks), register_command (native commands). Modules built against
 *          1.0 load unchanged in a 1.1 host.
 */
#ifndef KERNEL_MODULE_H
#define KERNEL_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 'KNMD' */
#define KERNEL_MODULE_MAGIC 0x4B4E4D44u
#define KERNEL_ABI_MAJOR 1
#define KERNEL_ABI_MINOR 1

/* Toolchain of a module whose interface is plain C (whatever compiled it). Swift modules use "swift-X.Y". */
#define KERNEL_TOOLCHAIN_C "c"

#define KERNEL_MODULE_DESCRIBE_SYMBOL "kernel_module_describe"
#define KERNEL_MODULE_REGISTER_SYMBOL "kernel_module_register"

/* What describe returns. Static storage; strings static too. */
typedef struct kernel_module_descriptor {
    uint32_t magic;        /* KERNEL_MODULE_MAGIC */
    uint32_t size;         /* sizeof(kernel_module_descriptor) as the module was compiled */
    uint16_t abi_major;    /* KERNEL_ABI_MAJOR as the module was compiled */
    uint16_t abi_minor;    /* KERNEL_ABI_MINOR as the module was compiled */
    uint32_t reserved;     /* 0 */
    const char *name;      /* e.g. "guard": letters, digits, '-', '_', '.' */
    const char *version;   /* e.g. "1.0.0" */
    const char *toolchain; /* KERNEL_TOOLCHAIN_C, or "swift-6.3" */
} kernel_module_descriptor;

#define KERNEL_MODULE_DESCRIPTOR(NAME, VERSION, TOOLCHAIN) \
    { KERNEL_MODULE_MAGIC, (uint32_t)sizeof(kernel_module_descriptor), KERNEL_ABI_MAJOR, KERNEL_ABI_MINOR, 0, \
      (NAME), (VERSION), (TOOLCHAIN) }

/* The same, as a function (Swift imports this one; macros with arguments are not imported). */
static inline kernel_module_descriptor kernel_module_descriptor_make(const char *name, const char *version,
                                                                     const char *toolchain) {
    kernel_module_descriptor d = KERNEL_MODULE_DESCRIPTOR(name, version, toolchain);
    return d;
}

/* Component kinds; the JSON is that of the on-disk formats:
 *   COMMAND       {"name": "review", "description": …, "argument-hint": …, "allowed-tools": …, "model": …,
 *                  "body": "the prompt"}                       (a commands/<name>.md file's frontmatter + body)
 *   SKILL         {"name": "…", "description": "…", …, "body": "…"}        (SKILL.md frontmatter + body)
 *   AGENT         {"name": "…", "description": "…", "tools": …, "model": …, "prompt": "system prompt"}
 *                 ("body" is accepted for "prompt")                      (agents/<name>.md frontmatter + body)
 *   HOOKS         {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "…"}]}]}
 *                 (the hooks.json event map, with or without the {"hooks": …} wrapper)
 *   MCP_SERVERS   {"name": {"command": "…", "args": […]}}   (.mcp.json, with or without {"mcpServers": …})
 *   OUTPUT_STYLE  {"name": "…", "description": "…", "keep-coding-instructions": true, "body": "…"}
 */
typedef enum kernel_component_kind {
    KERNEL_COMPONENT_COMMAND = 1,
    KERNEL_COMPONENT_SKILL = 2,
    KERNEL_COMPONENT_AGENT = 3,
    KERNEL_COMPONENT_HOOKS = 4,
    KERNEL_COMPONENT_MCP_SERVERS = 5,
    KERNEL_COMPONENT_OUTPUT_STYLE = 6
} kernel_component_kind;

typedef enum kernel_log_level {
    KERNEL_LOG_DEBUG = 0,
    KERNEL_LOG_INFO = 1,
    KERNEL_LOG_WARNING = 2,
    KERNEL_LOG_ERROR = 3
} kernel_log_level;

/* A host-owned output buffer (a handler's stdout or stderr), valid during the handler call only. Write to it
 * with kernel_sink_write / kernel_sink_puts; the other fields are the host's. */
typedef struct kernel_sink kernel_sink;
struct kernel_sink {
    uint32_t size;  /* sizeof(kernel_sink) as the host was compiled */
    uint32_t reserved;
    void *context;  /* the host's */
    /* Appends `len` bytes. Returns the bytes taken: all of them, or fewer past the host's cap (1 MiB). */
    size_t (*write)(kernel_sink *sink, const void *bytes, size_t len);
};

static inline size_t kernel_sink_write(kernel_sink *sink, const void *bytes, size_t len) {
    return sink->write(sink, bytes, len);
}

static inline size_t kernel_sink_puts(kernel_sink *sink, const char *text) {
    size_t n = 0;
    while (text[n]) n++;
    return sink->write(sink, text, n);
}

/* An in-process hook handler. `event` is the event name, `input` the event's input JSON (the same bytes a
 * command hook reads on stdin; not NUL-terminated). Write the reply to `out` (JSON or text, as a command hook's
 * stdout) and messages to `err`. Returns the exit code with command-hook meanings: 0 success, 2 block
 * (`err` is the reason shown), any other value a non-blocking error. */
typedef int (*kernel_hook_fn)(const char *event, const uint8_t *input, size_t input_len, kernel_sink *out,
                              kernel_sink *err, void *user_data);

/* Flags for register_hook, register_evaluator and register_command. */
#define KERNEL_HOOK_THREAD_SAFE 1u /* may be called concurrently */

/* ABI 1.1: a model for `prompt` and `agent` hooks (the kernel has none). `kind` is "prompt" or "agent",
 * `event` the event name; `request` is a JSON object (not NUL-terminated):
 *     {"kind": "prompt", "event": "PreToolUse",
 *      "prompt": "the configured prompt with the event input in it", "template": "the prompt as configured",
 *      "input": {…the event input JSON…}, "model": "…" or null, "tools": ["Read", …] or null,
 *      "maxTurns": 50 or null, "timeout": 30}
 * Write the verdict to `out` as JSON, {"ok": true} to allow or {"ok": false, "reason": "why"} to block, and
 * return 0. Any other return value (or a reply that is not such JSON) is an evaluator error: the hook handler
 * is then reported as a non-blocking error (`err` is its message), never as an allow. */
typedef int (*kernel_evaluator_fn)(const char *kind, const char *event, const uint8_t *request, size_t request_len,
                                   kernel_sink *out, kernel_sink *err, void *user_data);

/* ABI 1.1: a native command, a slash command whose prompt is produced at invocation time. `name` is the name
 * it was registered with (without the `plugin:` prefix), `arguments` the raw argument string typed after the
 * command (NUL-terminated, "" when none), `context` a JSON object (not NUL-terminated):
 *     {"pluginRoot": "/path/to/plugin" or null, "pluginData": "…" or null, "projectDir": "…" or null,
 *      "arguments": ["the", "split", "arguments"]}
 * (arguments split as the host splits `$ARGUMENTS[N]`: shell-like quoting). Write the prompt text (UTF-8) to
 * `out` and return 0. Any other return value means the command failed: nothing is submitted and `err` is the
 * message shown to the user. Never print: the prompt goes to `out` only. */
typedef int (*kernel_command_fn)(const char *name, const char *arguments, const char *context, size_t context_len,
                                 kernel_sink *out, kernel_sink *err, void *user_data);

/* The host functions, given to kernel_module_register. Valid only during that call. */
typedef struct kernel_host {
    uint32_t size;      /* sizeof(kernel_host) as the host was compiled: fields past it are absent */
    uint16_t abi_major; /* the host's KERNEL_ABI_MAJOR */
    uint16_t abi_minor; /* the host's KERNEL_ABI_MINOR */
    void *context;      /* opaque: pass it back as the first argument of the functions below */
    const char *plugin_name; /* the plugin holding the module, or "" for a built-in module */
    const char *plugin_root; /* the plugin's folder (QODER_PLUGIN_ROOT), or "" */
    const char *plugin_data; /* the plugin's data folder (QODER_PLUGIN_DATA; may not exist yet), or "" */

    /* Contributes one component (see kernel_component_kind). The host copies `json`. Returns 0, or -1 when
     * the kind is unknown (problems in the JSON itself are reported by the host, like a file's). */
    int (*contribute)(void *context, kernel_component_kind kind, const char *json, size_t json_len);

    /* Registers an in-process hook handler for `event` ("PreToolUse"…), with a matcher of the same forms as
     * hooks.json (NULL or "*": every tool), a name for listings (NULL: "<module>#<index>"), KERNEL_HOOK_* flags.
     * Returns 0, or -1 when event or fn is NULL. */
    int (*register_hook)(void *context, const char *event, const char *matcher, const char *name,
                         kernel_hook_fn fn, void *user_data, uint32_t flags);

    /* A message for the host's log (never printed on the agent's stdout). */
    void (*log)(void *context, kernel_log_level level, const char *message);

    /* ---- ABI 1.1 (check with KERNEL_HOST_HAS(host, register_evaluator)) ---- */

    /* Registers an evaluator for `prompt` and `agent` hooks, with a name for listings (NULL:
     * "<module>#evaluator<index>") and KERNEL_HOOK_* flags. The hook engine uses the embedder's evaluator if it
     * has one, else the first evaluator of an active module (built-in modules first, then plugins in order).
     * Returns 0, or -1 when fn is NULL. */
    int (*register_evaluator)(void *context, const char *name, kernel_evaluator_fn fn, void *user_data,
                              uint32_t flags);

    /* (check with KERNEL_HOST_HAS(host, register_command)) Registers a native command `name` (e.g. "deploy";
     * no ':' or whitespace: a plugin's commands are listed as `plugin:name`) with a description and an
     * argument hint for listings (NULL: none) and KERNEL_HOOK_* flags. It is listed like a contributed command,
     * from the scan (listing never opens the module); its prompt comes from `fn` when it is rendered. Returns
     * 0, or -1 when name or fn is NULL or the name is empty or has a ':' or whitespace. */
    int (*register_command)(void *context, const char *name, const char *description, const char *argument_hint,
                            kernel_command_fn fn, void *user_data, uint32_t flags);

    /* ABI 1.2 and later append here. */
} kernel_host;

/* True when `host` has `field` (it was compiled with a header that has it). */
#define KERNEL_HOST_HAS(host, field) \
    ((host)->size >= offsetof(kernel_host, field) + sizeof(((kernel_host *)0)->field))

/* The entry points a module exports. */
const kernel_module_descriptor *kernel_module_describe(void);
int kernel_module_register(const kernel_host *host);

#ifdef __cplusplus
}
#endif

#endif /* KERNEL_MODULE_H */
