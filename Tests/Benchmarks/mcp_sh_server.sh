#!/bin/bash
# A minimal stdio MCP server in bash for mcp_bench.py's SERVER_KIND=sh: it answers initialize (echoing the client's
# protocol version), tools/list, prompts/list, resources/list and ping with canned results, anything else with
# "method not found", after sleeping $MCP_FIXTURE_DELAY seconds. A bash start costs ~6 ms of CPU where a Python
# interpreter costs ~45, so 20 of them at once measure the kernel's concurrency rather than the two cores.
[ -n "$MCP_FIXTURE_DELAY" ] && sleep "$MCP_FIXTURE_DELAY"
while IFS= read -r line; do
    case $line in *'"id"'*) ;; *) continue ;; esac          # a notification: no answer
    line=${line//\\/}                                     # Foundation's encoder writes tools\/list
    id=${line#*\"id\":}; id=${id# }; id=${id%%[,\}]*}
    case $line in
    *'"method":"initialize"'*)
        v=${line#*\"protocolVersion\":\"}; v=${v%%\"*}
        printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"%s","capabilities":{"tools":{},"prompts":{},"resources":{}},"serverInfo":{"name":"sh-fixture","version":"1.0.0"}}}\n' "$id" "$v" ;;
    *'"method":"tools/list"'*)
        printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"echo","description":"Echo the text.","inputSchema":{"type":"object","properties":{"text":{"type":"string"}}}}]}}\n' "$id" ;;
    *'"method":"prompts/list"'*)
        printf '{"jsonrpc":"2.0","id":%s,"result":{"prompts":[{"name":"review","description":"Review code."}]}}\n' "$id" ;;
    *'"method":"resources/list"'*)
        printf '{"jsonrpc":"2.0","id":%s,"result":{"resources":[{"uri":"file:///readme","name":"readme"}]}}\n' "$id" ;;
    *'"method":"ping"'*)
        printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id" ;;
    *)
        printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"method not found"}}\n' "$id" ;;
    esac
done
