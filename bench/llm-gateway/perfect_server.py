#!/usr/bin/env python3
"""A stand-in OpenAI-compatible model server that "batches perfectly".

Every request gets one output token every --token-ms milliseconds (default 20), the first one
interval after its body arrived, however many requests run at once: the server has no capacity
limit, so whatever slows requests down in front of it (a gateway, the load generator) shows in
the measurements. Each token's text is "tok "; the output length is the request's max_tokens
(or max_completion_tokens), default 16 (an "epara_output_tokens" field is ignored).

Endpoints (HTTP/1.1 keep-alive on asyncio streams, standard library only):
  POST /v1/completions, POST /v1/chat/completions
      non-stream: the whole text_completion / chat.completion object with usage;
      stream: chunked text/event-stream of OpenAI's chunk shapes (text_completion with
      choices[0].text; chat.completion.chunk with choices[0].delta.content, the first also
      with role, then one with an empty delta and finish_reason), then with
      stream_options.include_usage a chunk with "choices": [] and usage, then data: [DONE].
  GET /v1/models   the one model, named by --model (default "perfect")
  GET /health      200
  GET /stats       requests served, running now and at most, disconnects, timer lag (JSON)
Errors come as OpenAI error objects: 400 on a body that is not a JSON object or a bad field,
404 on an unknown path, 405 on a wrong method.

Run:  python3 bench/llm-gateway/perfect_server.py --port 8000 [--token-ms 20] [--model perfect]
      (--port 0 picks a free port). Prints "listening on HOST:PORT" to stderr once ready.
Try:  curl -sN localhost:8000/v1/completions -d '{"prompt":"hi","max_tokens":3,"stream":true}'
"""

import argparse
import asyncio
import json
import signal
import sys
import time
import uuid

MAX_HEADER = 64 * 1024
MAX_BODY = 4 << 20
DEFAULT_TOKENS = 16
TOKEN = "tok "

REASONS = {
    200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
    411: "Length Required", 413: "Payload Too Large", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented",
}


class BadRequest(Exception):
    def __init__(self, status, message, param=None, close=False):
        super().__init__(message)
        self.status, self.message, self.param, self.close = status, message, param, close


class Stats:
    def __init__(self):
        self.requests = 0        # inference requests started
        self.completed = 0       # answered in full
        self.disconnects = 0     # client went away before the answer ended
        self.errors = 0          # 4xx/5xx answered
        self.running = 0
        self.max_running = 0
        self.connections = 0
        self.max_lag_ms = 0.0    # how late a token was sent at most (event loop saturation)
        self.lag_sum_ms = 0.0
        self.tokens = 0

    def as_dict(self):
        return {
            "requests": self.requests, "completed": self.completed, "disconnects": self.disconnects,
            "errors": self.errors, "running": self.running, "max_running": self.max_running,
            "connections": self.connections, "tokens": self.tokens,
            "mean_token_lag_ms": round(self.lag_sum_ms / self.tokens, 3) if self.tokens else 0.0,
            "max_token_lag_ms": round(self.max_lag_ms, 3),
        }


class ClientGone(Exception):
    pass


def error_body(message, type_="invalid_request_error", param=None, code=None):
    return json.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}}).encode()


class Server:
    def __init__(self, model, token_s):
        self.model = model
        self.token_s = token_s
        self.stats = Stats()

    # ---------------------------------------------------------------- HTTP plumbing

    async def handle(self, reader, writer):
        self.stats.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return  # closed between requests (or mid-header)
                except asyncio.LimitOverrunError:
                    await self.send(writer, 431, error_body("request header too large"), close=True)
                    return
                try:
                    method, path, version, headers = self.parse_head(head)
                except BadRequest as e:
                    await self.send(writer, e.status, error_body(e.message), close=True)
                    return
                keep = self.keep_alive(version, headers)
                try:
                    body = await self.read_body(reader, writer, headers)
                    keep = await self.route(reader, writer, method, path, body) and keep
                except BadRequest as e:
                    self.stats.errors += 1
                    keep = keep and not e.close
                    await self.send(writer, e.status, error_body(e.message, param=e.param), close=not keep)
                if not keep:
                    return
        except (ClientGone, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.stats.connections -= 1
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    def parse_head(head):
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            raise BadRequest(400, "malformed request line")
        if not version.startswith("HTTP/1."):
            raise BadRequest(400, "unsupported HTTP version")
        headers = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest(400, "malformed header line")
            headers[name.strip().lower()] = value.strip()
        return method.upper(), target.split("?", 1)[0], version, headers

    @staticmethod
    def keep_alive(version, headers):
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    @staticmethod
    async def read_body(reader, writer, headers):
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                size_line = await reader.readuntil(b"\r\n")
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BadRequest(400, "malformed chunk size", close=True)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    return bytes(body)
                if len(body) + size > MAX_BODY:
                    raise BadRequest(413, "request body too large", close=True)
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        length = headers.get("content-length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise BadRequest(400, "malformed content-length", close=True)
        if n < 0 or n > MAX_BODY:
            raise BadRequest(413, "request body too large", close=True)
        return await reader.readexactly(n) if n else b""

    @staticmethod
    async def send(writer, status, body, content_type="application/json", close=False):
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
            f"content-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
            + ("connection: close\r\n" if close else "")
            + "\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()

    # ---------------------------------------------------------------- routes

    async def route(self, reader, writer, method, path, body):
        """Answers one request; False when the connection must close afterwards."""
        path = path.rstrip("/") or "/"
        if path in ("/v1/completions", "/v1/chat/completions"):
            if method != "POST":
                raise BadRequest(405, f"use POST for {path}")
            return await self.inference(reader, writer, path == "/v1/chat/completions", body)
        if path in ("/v1/models", "/health", "/stats"):
            if method != "GET":
                raise BadRequest(405, f"use GET for {path}")
            if path == "/health":
                payload = {"status": "ok"}
            elif path == "/stats":
                payload = self.stats.as_dict()
            else:
                payload = {"object": "list", "data": [
                    {"id": self.model, "object": "model", "created": int(time.time()), "owned_by": "perfect_server"}]}
            await self.send(writer, 200, json.dumps(payload).encode())
            return True
        raise BadRequest(404, f"no route for {method} {path}")

    @staticmethod
    def parse_request(body, chat):
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise BadRequest(400, f"the body is not valid JSON: {e}")
        if not isinstance(request, dict):
            raise BadRequest(400, "the body must be a JSON object")
        if chat:
            messages = request.get("messages")
            if not isinstance(messages, list) or not messages:
                raise BadRequest(400, "'messages' is a required non-empty list", param="messages")
            text = "".join(
                m.get("content") if isinstance(m.get("content"), str)
                else "".join(p.get("text", "") for p in m.get("content") or [] if isinstance(p, dict))
                for m in messages if isinstance(m, dict))
        else:
            if "prompt" not in request:
                raise BadRequest(400, "'prompt' is a required property", param="prompt")
            prompt = request["prompt"]
            text = prompt if isinstance(prompt, str) else json.dumps(prompt)
        n = request.get("max_tokens")
        if n is None:
            n = request.get("max_completion_tokens")
        if n is None:
            n = DEFAULT_TOKENS
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise BadRequest(400, f"max_tokens must be an integer >= 1, found {n!r}", param="max_tokens")
        stream = request.get("stream", False)
        if not isinstance(stream, bool):
            raise BadRequest(400, "stream must be a boolean", param="stream")
        options = request.get("stream_options") or {}
        usage = bool(stream and isinstance(options, dict) and options.get("include_usage"))
        model = request.get("model") if isinstance(request.get("model"), str) else None
        return n, stream, usage, model, max(1, len(text) // 4)

    async def inference(self, reader, writer, chat, body):
        n, stream, include_usage, model, prompt_tokens = self.parse_request(body, chat)
        loop = asyncio.get_running_loop()
        start = loop.time()
        stats = self.stats
        stats.requests += 1
        stats.running += 1
        stats.max_running = max(stats.max_running, stats.running)
        created = int(time.time())
        model = model or self.model
        ident = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
        transport = writer.transport
        finished = False
        try:
            if stream:
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
                    b"transfer-encoding: chunked\r\n\r\n")
                await writer.drain()
                chunks = self.chunk_frames(chat, ident, created, model, include_usage)
            for k in range(1, n + 1):
                delay = start + k * self.token_s - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                lag = (loop.time() - start - k * self.token_s) * 1000
                stats.tokens += 1
                stats.lag_sum_ms += lag
                if lag > stats.max_lag_ms:
                    stats.max_lag_ms = lag
                if transport.is_closing() or reader.at_eof():
                    raise ClientGone()
                if stream:
                    writer.write(chunks["first"] if k == 1 and chat else chunks["token"] if k < n or chat else chunks["last"])
                    await writer.drain()
            if stream:
                if chat:
                    writer.write(chunks["finish"])
                if include_usage:
                    writer.write(self.frame(json.dumps({
                        "id": ident, "object": "chat.completion.chunk" if chat else "text_completion",
                        "created": created, "model": model, "system_fingerprint": None,
                        "choices": [], "usage": usage}, separators=(",", ":"))))
                writer.write(self.frame("[DONE]") + b"0\r\n\r\n")
                await writer.drain()
            else:
                text = TOKEN * n
                if chat:
                    answer = {
                        "id": ident, "object": "chat.completion", "created": created, "model": model,
                        "system_fingerprint": None,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                                     "logprobs": None, "finish_reason": "length"}],
                        "usage": usage}
                else:
                    answer = {
                        "id": ident, "object": "text_completion", "created": created, "model": model,
                        "system_fingerprint": None,
                        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "length"}],
                        "usage": usage}
                await self.send(writer, 200, json.dumps(answer, separators=(",", ":")).encode())
            finished = True
            stats.completed += 1
            return True
        except (ClientGone, ConnectionError):
            stats.disconnects += 1
            raise ClientGone()
        finally:
            stats.running -= 1
            if not finished and not transport.is_closing():
                transport.abort()

    @staticmethod
    def frame(data):
        """One SSE event in one HTTP chunk."""
        event = b"data: " + data.encode() + b"\n\n"
        return b"%x\r\n%s\r\n" % (len(event), event)

    def chunk_frames(self, chat, ident, created, model, include_usage):
        """The few distinct stream chunks of one request, encoded once."""
        base = {"id": ident, "object": "chat.completion.chunk" if chat else "text_completion",
                "created": created, "model": model, "system_fingerprint": None}
        if include_usage:
            base["usage"] = None
        dump = lambda choice: self.frame(json.dumps({**base, "choices": [choice]}, separators=(",", ":")))
        if chat:
            return {
                "first": dump({"index": 0, "delta": {"role": "assistant", "content": TOKEN}, "logprobs": None, "finish_reason": None}),
                "token": dump({"index": 0, "delta": {"content": TOKEN}, "logprobs": None, "finish_reason": None}),
                "finish": dump({"index": 0, "delta": {}, "logprobs": None, "finish_reason": "length"}),
            }
        return {
            "token": dump({"text": TOKEN, "index": 0, "logprobs": None, "finish_reason": None}),
            "last": dump({"text": TOKEN, "index": 0, "logprobs": None, "finish_reason": "length"}),
        }


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--token-ms", type=float, default=20.0, help="time between output tokens of each request")
    parser.add_argument("--model", default="perfect", help="the model name /v1/models lists")
    args = parser.parse_args()
    if args.token_ms < 0:
        parser.error("--token-ms must be >= 0")
    server_state = Server(args.model, args.token_ms / 1000)
    server = await asyncio.start_server(
        server_state.handle, args.host, args.port, limit=MAX_HEADER, backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {args.host}:{port}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"stats {json.dumps(server_state.stats.as_dict())}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
