#!/usr/bin/env python3
"""A server built on the official Python SDK (PyPI `mcp` 2.x, MCPServer): `python_sdk_server.py stdio` or
`python_sdk_server.py http PORT` (streamable HTTP on 127.0.0.1:PORT/mcp)."""
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("pyfixture", version="3.1.0", log_level="WARNING")


@server.tool()
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@server.tool()
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


@server.prompt()
def summarize(topic: str) -> str:
    """Ask for a summary."""
    return f"Summarize {topic}."


@server.resource("config://app")
def config() -> str:
    """The app's configuration."""
    return "debug=false"


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run(transport="stdio")
