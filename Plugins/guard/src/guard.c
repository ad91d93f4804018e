/*
 * guard: a native module (C) with an in-process PreToolUse handler for the Bash tool that denies dangerous
 * shell commands with a reason: recursive rm of / or ~ (or $HOME), writes to block devices (dd of=/dev/sdX,
 * > /dev/nvme0n1, mkfs), fork bombs. Extra patterns: <plugin data>/guard.json, {"deny": ["substring", …]}
 * (read once, at register).
 *
 * Build: cc -shared -fPIC -O2 -I Kernel/ABI -o Plugins/guard/modules/guard.so Plugins/guard/src/guard.c
 */
#include "kernel_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const kernel_module_descriptor descriptor = KERNEL_MODULE_DESCRIPTOR("guard", "1.0.0", KERNEL_TOOLCHAIN_C);

const kernel_module_descriptor *kernel_module_describe(void) { return &descriptor; }

#define MAX_EXTRA 64
static char *extra[MAX_EXTRA];
static int extra_count;

/* ---- tiny JSON helpers: enough to read one string value by key, and a list of strings ---- */

/* Reads the JSON string starting at p (after the opening quote) into out (NUL-terminated, truncated to cap).
 * Returns a pointer past the closing quote, or NULL. */
static const char *read_string(const char *p, const char *end, char *out, size_t cap) {
    size_t n = 0;
    while (p < end && *p != '"') {
        char c = *p++;
        if (c == '\\' && p < end) {
            char e = *p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'u': c = '?'; p += (end - p >= 4) ? 4 : (end - p); break;
            default: c = e; break;
            }
        }
        if (n + 1 < cap) out[n++] = c;
    }
    out[n] = 0;
    return p < end ? p + 1 : NULL;
}

/* Finds "key": "value" anywhere in the JSON (the first occurrence) and copies value. */
static int find_string(const char *json, size_t len, const char *key, char *out, size_t cap) {
    const char *end = json + len;
    size_t klen = strlen(key);
    for (const char *p = json; p + klen + 2 < end; p++) {
        if (p[0] != '"' || memcmp(p + 1, key, klen) != 0 || p[1 + klen] != '"') continue;
        const char *q = p + klen + 2;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == ':')) q++;
        if (q < end && *q == '"') return read_string(q + 1, end, out, cap) != NULL;
    }
    return 0;
}

static void load_extra(const char *data_dir) {
    if (!data_dir || !*data_dir) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/guard.json", data_dir);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static char buf[65536];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    const char *p = strstr(buf, "\"deny\"");
    if (!p) return;
    p = strchr(p, '[');
    if (!p) return;
    const char *end = buf + len;
    while (p < end && *p != ']' && extra_count < MAX_EXTRA) {
        if (*p == '"') {
            char item[512];
            p = read_string(p + 1, end, item, sizeof item);
            if (!p) break;
            if (item[0]) extra[extra_count++] = strdup(item);
        } else {
            p++;
        }
    }
}

/* ---- the checks ---- */

static int is_sep(char c) { return c == ';' || c == '&' || c == '|' || c == '\n' || c == '(' || c == ')'; }

static const char *danger_target(const char *arg) {
    static const char *targets[] = {"/", "/*", "/.", "/..", "~", "~/", "~/*", "$HOME", "$HOME/", "$HOME/*",
                                    "${HOME}", "${HOME}/", "${HOME}/*", "\"$HOME\"", NULL};
    for (int i = 0; targets[i]; i++)
        if (strcmp(arg, targets[i]) == 0) return targets[i];
    return NULL;
}

/* Checks one simple command (words separated by blanks). Writes a reason and returns 1 when it is dangerous. */
static int check_simple(char *cmd, char *reason, size_t cap) {
    char *words[128];
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(cmd, " \t", &save); tok && n < 128; tok = strtok_r(NULL, " \t", &save)) words[n++] = tok;
    int i = 0;
    while (i < n && (strcmp(words[i], "sudo") == 0 || strcmp(words[i], "doas") == 0 || strcmp(words[i], "command") == 0
                     || strchr(words[i], '=') != NULL))
        i++;
    if (i >= n) return 0;
    const char *prog = strrchr(words[i], '/') ? strrchr(words[i], '/') + 1 : words[i];
    if (strcmp(prog, "rm") == 0) {
        int recursive = 0, options = 1;
        const char *target = NULL;
        for (int k = i + 1; k < n; k++) {
            const char *w = words[k];
            if (options && strcmp(w, "--") == 0) { options = 0; continue; }
            if (options && w[0] == '-' && w[1] == '-') {
                if (strcmp(w, "--recursive") == 0) recursive = 1;
                continue;
            }
            if (options && w[0] == '-' && w[1]) {
                if (strchr(w, 'r') || strchr(w, 'R')) recursive = 1;
                continue;
            }
            if (!target) target = danger_target(w);
        }
        if (recursive && target) {
            snprintf(reason, cap, "guard: blocked `rm -r %s`: it would delete %s", target,
                     target[0] == '/' ? "the whole filesystem" : "your home folder");
            return 1;
        }
    }
    if (strncmp(prog, "mkfs", 4) == 0) {
        snprintf(reason, cap, "guard: blocked `%s`: it formats a device", prog);
        return 1;
    }
    return 0;
}

static int block_device(const char *p) {
    static const char *devs[] = {"/dev/sd", "/dev/hd", "/dev/vd", "/dev/xvd", "/dev/nvme", "/dev/mmcblk", "/dev/disk",
                                 "/dev/mapper/", "/dev/dm-", "/dev/md", "/dev/loop", NULL};
    for (int i = 0; devs[i]; i++)
        if (strncmp(p, devs[i], strlen(devs[i])) == 0) return 1;
    return 0;
}

/* Returns 1 and a reason when `command` is dangerous. */
static int check_command(const char *command, char *reason, size_t cap) {
    /* Fork bombs: compare with blanks removed. */
    char squashed[8192];
    size_t m = 0;
    for (const char *p = command; *p && m + 1 < sizeof squashed; p++)
        if (*p != ' ' && *p != '\t') squashed[m++] = *p;
    squashed[m] = 0;
    if (strstr(squashed, ":(){:|:&};:") || strstr(squashed, "(){:|:&};") || strstr(squashed, "bomb(){bomb|bomb&};bomb")) {
        snprintf(reason, cap, "guard: blocked a fork bomb");
        return 1;
    }
    /* Writes to block devices: "> /dev/sda", "of=/dev/nvme0n1", "tee /dev/sdb". */
    for (const char *p = command; *p; p++) {
        if (strncmp(p, "of=", 3) == 0 && block_device(p + 3)) {
            snprintf(reason, cap, "guard: blocked a write to a block device (%.*s)", 24, p + 3);
            return 1;
        }
        if (*p == '>') {
            const char *q = p + 1;
            while (*q == '>' || *q == ' ' || *q == '|') q++;
            if (block_device(q)) {
                snprintf(reason, cap, "guard: blocked a write to a block device (%.*s)", 24, q);
                return 1;
            }
        }
        if (strncmp(p, "tee ", 4) == 0) {
            const char *q = p + 4;
            while (*q == ' ' || *q == '-' || *q == 'a') q++;
            if (block_device(q)) {
                snprintf(reason, cap, "guard: blocked a write to a block device (%.*s)", 24, q);
                return 1;
            }
        }
    }
    /* Extra patterns from the plugin's data folder. */
    for (int i = 0; i < extra_count; i++) {
        if (strstr(command, extra[i])) {
            snprintf(reason, cap, "guard: blocked by the configured pattern '%s'", extra[i]);
            return 1;
        }
    }
    /* Each simple command. */
    char copy[8192];
    size_t len = strlen(command);
    if (len >= sizeof copy) len = sizeof copy - 1;
    memcpy(copy, command, len);
    copy[len] = 0;
    char *start = copy;
    for (char *p = copy;; p++) {
        if (*p == 0 || is_sep(*p)) {
            char saved = *p;
            *p = 0;
            if (check_simple(start, reason, cap)) return 1;
            if (saved == 0) break;
            start = p + 1;
        }
    }
    return 0;
}

static int pre_tool_use(const char *event, const uint8_t *input, size_t input_len, kernel_sink *out,
                        kernel_sink *err, void *user_data) {
    (void)event;
    (void)user_data;
    static __thread char command[8192];
    if (!find_string((const char *)input, input_len, "command", command, sizeof command)) return 0;
    char reason[512];
    if (!check_command(command, reason, sizeof reason)) return 0;
    char reply[1024];
    int n = snprintf(reply, sizeof reply,
                     "{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"deny\","
                     "\"permissionDecisionReason\":\"%s\"}}",
                     reason);
    if (n > 0) kernel_sink_write(out, reply, (size_t)n < sizeof reply ? (size_t)n : sizeof reply - 1);
    kernel_sink_puts(err, reason);
    return 2;
}

int kernel_module_register(const kernel_host *host) {
    load_extra(host->plugin_data);
    if (host->register_hook(host->context, "PreToolUse", "Bash", "guard:dangerous-shell", pre_tool_use, NULL,
                            KERNEL_HOOK_THREAD_SAFE) != 0)
        return 1;
    if (extra_count > 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "guard: %d extra pattern(s) from guard.json", extra_count);
        host->log(host->context, KERNEL_LOG_INFO, msg);
    }
    return 0;
}
