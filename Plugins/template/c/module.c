/*
 * A native module in C: copy this file, rename the module, and build it with one line:
 *
 *     cc -shared -fPIC -O2 -I <kernel checkout>/Kernel/ABI -o modules/my-module.so module.c
 *
 * then put modules/my-module.so in your plugin folder (or list it in plugin.json "modules"). It contributes
 * one component of every kind (the same JSON as the on-disk formats) and one in-process PreToolUse handler.
 * Rules (see kernel_module.h): describe is pure; never print, exit or keep host pointers.
 */
#include "kernel_module.h"

#include <string.h>

#ifndef MODULE_NAME
#define MODULE_NAME "c-template"
#endif

static const kernel_module_descriptor descriptor = KERNEL_MODULE_DESCRIPTOR(MODULE_NAME, "1.0.0", KERNEL_TOOLCHAIN_C);

const kernel_module_descriptor *kernel_module_describe(void) { return &descriptor; }

static const struct {
    kernel_component_kind kind;
    const char *json;
} components[] = {
    {KERNEL_COMPONENT_COMMAND, "{\"name\": \"c-hello\", \"description\": \"Say hello from C\", \"body\": \"Say hello to $ARGUMENTS.\"}"},
    {KERNEL_COMPONENT_SKILL, "{\"name\": \"c-skill\", \"description\": \"A skill contributed by a C module\", \"body\": \"Greet.\"}"},
    {KERNEL_COMPONENT_AGENT, "{\"name\": \"c-agent\", \"description\": \"An agent from C\", \"tools\": [\"Read\"], \"prompt\": \"You help.\"}"},
    {KERNEL_COMPONENT_HOOKS, "{\"PostToolUse\": [{\"matcher\": \"Write\", \"hooks\": [{\"type\": \"command\", \"command\": \"echo c\"}]}]}"},
    {KERNEL_COMPONENT_MCP_SERVERS, "{\"c-mcp\": {\"command\": \"c-mcp\"}}"},
    {KERNEL_COMPONENT_OUTPUT_STYLE, "{\"name\": \"Terse\", \"description\": \"Short answers\", \"body\": \"Be terse.\"}"},
};

/* Blocks a Bash call whose input mentions "forbidden"; otherwise lets it through. */
static int pre_tool_use(const char *event, const uint8_t *input, size_t input_len, kernel_sink *out,
                        kernel_sink *err, void *user_data) {
    (void)event;
    (void)user_data;
    static const char needle[] = "forbidden";
    for (size_t i = 0; i + sizeof needle - 1 <= input_len; i++) {
        if (memcmp(input + i, needle, sizeof needle - 1) == 0) {
            kernel_sink_puts(err, MODULE_NAME ": forbidden input");
            return 2;
        }
    }
    kernel_sink_puts(out, "{\"continue\": true}");
    return 0;
}

int kernel_module_register(const kernel_host *host) {
    for (size_t i = 0; i < sizeof components / sizeof components[0]; i++) {
        if (host->contribute(host->context, components[i].kind, components[i].json, strlen(components[i].json)) != 0)
            return 1;
    }
    return host->register_hook(host->context, "PreToolUse", "Bash", MODULE_NAME ":forbidden", pre_tool_use, NULL,
                               KERNEL_HOOK_THREAD_SAFE);
}
