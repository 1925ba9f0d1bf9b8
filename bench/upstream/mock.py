#!/usr/bin/env python3
"""An OpenAI chat-completions endpoint for `cargo xtask bench upstream`:
one tool round, then an answer, for asterbot and for upstream alike.

A request whose last message is a tool result gets a final answer; any
other gets one call of the tool offered: asterbot's `calculator`, or
upstream's file listing (fs-local `ls`, as upstream's core names it).

usage: mock.py PORT STATE_DIR
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, STATE = int(sys.argv[1]), sys.argv[2]
CALLS = {
    "calculator": {"expression": "6 * 7"},
    "asterai-fs-local--fs-ls": {"path": STATE, "recursive": False},
}


def reply(request):
    messages = request.get("messages") or [{}]
    if messages[-1].get("role") == "tool":
        return {"role": "assistant", "content": "The tool said: " + str(messages[-1].get("content"))[:200]}
    offered = [tool["function"]["name"] for tool in request.get("tools", [])]
    for name, arguments in CALLS.items():
        if name in offered:
            call = {"name": name, "arguments": json.dumps(arguments)}
            return {"role": "assistant", "content": None,
                    "tool_calls": [{"id": "call_1", "type": "function", "function": call}]}
    return {"role": "assistant", "content": "No known tool was offered: %s" % offered}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def body(self):
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def do_POST(self):
        message = reply(json.loads(self.body() or b"{}"))
        body = json.dumps({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "mock",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
