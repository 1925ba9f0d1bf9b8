"""The official Python MCP client (PyPI `mcp`) against URL, for tests/mcp.rs.

    python3 client.py URL '[["tool", {"arg": 1}], ...]' [KEY]

Connects as the SDK does by default (with `Authorization: Bearer KEY`
when a KEY is given, on an httpx2 client as the SDK says to configure
headers), lists the tools and calls each one
given, printing one JSON line for the tools' names and one per call:
{"tools": [...]}, then {"isError": ..., "text": "..."}.
"""

import json
import sys

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, calls: list, key: str | None) -> None:
    server = url
    if key:
        http = httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {key}"},
            timeout=httpx2.Timeout(30, read=300),
        )
        server = streamable_http_client(url, http_client=http)
    async with Client(server) as client:
        listed = await client.list_tools()
        print(json.dumps({"tools": [t.name for t in listed.tools]}), flush=True)
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            text = "\n".join(c.text for c in result.content if c.type == "text")
            print(json.dumps({"isError": bool(result.is_error), "text": text}), flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
