#!/bin/sh
# PreToolUse(Bash): append the event to the plugin's data directory and allow the call.
dir="${QODER_PLUGIN_DATA:-${TMPDIR:-/tmp}}"
mkdir -p "$dir" && cat >> "$dir/bash-commands.jsonl" && echo >> "$dir/bash-commands.jsonl"
exit 0
