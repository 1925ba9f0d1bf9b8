"""The official Python MCP client (PyPI `mcp`) against URL, for tests/mcp.rs.

    python3 client.py URL '[["tool", {"arg": 1}], ...]'

Connects as the SDK does by default, lists the tools and calls each one
given, printing one JSON line for the tools' names and one per call:
{"tools": [...]}, then {"isError": ..., "text": "..."}.
"""

import json
import sys

import anyio
from mcp import Client


async def main(url: str, calls: list) -> None:
    async with Client(url) as client:
        listed = await client.list_tools()
        print(json.dumps({"tools": [t.name for t in listed.tools]}), flush=True)
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            text = "\n".join(c.text for c in result.content if c.type == "text")
            print(json.dumps({"isError": bool(result.is_error), "text": text}), flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], json.loads(sys.argv[2]))
