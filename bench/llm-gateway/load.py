#!/usr/bin/env python3
"""Closed-loop load on an OpenAI-compatible endpoint, with the official openai client.

--clients coroutines each send one uncounted 1-token request (to open their connections), then,
their starts spread over the warm-up, requests one after another (completions, or chat with --api chat) for --warmup + --seconds
seconds, max_tokens drawn uniformly from [--min-tokens, --max-tokens] (seeded per client),
streamed with --stream (asking for stream_options.include_usage), with extra_body
{"ignore_eos": true} with --ignore-eos (llama.cpp's server then writes exactly max_tokens).
Requests that finish inside the measured window (after the warm-up) count; those
still running when it closes are cancelled and not counted. One JSON line goes to stdout:

  clients, seconds, requests (finished in the window), sent (all requests started, with the
  first ones and those cancelled at the end), ok, errors {status: count},
  req_per_s and tokens_per_s (of the ok requests), latency_ms, ttft_ms {p50, p90, p99},
  normalized_latency_ms_per_token {p50, p90} (latency / output tokens), and for judging the
  client itself: short_outputs (ok with fewer tokens than max_tokens), client_cpu_pct (this
  process's CPU over the window, 100 = one core) and loop_lag_ms {p50, p99, max} (how late a
  5 ms timer fires: the event loop is saturated when this grows).

TTFT is the time to the first chunk that carries text (non-stream: the latency). Output tokens
are usage.completion_tokens, else (stream) the number of chunks with text. An error's status is
the HTTP status (429, 503, ...), else "timeout", "connection", "stream_error" or the exception's
type; a client pauses --error-pause seconds after an error, so a gateway answering 429 at once
does not turn the closed loop into a busy loop.

The client's own cost (openai 3.x, Python 3.11, measured on this 2-core box): about 2 ms of CPU
per request and 0.3 ms per streamed chunk built into the SDK's objects (0.2 ms with --fast-sse):
32 streams of 50 tokens/s take ~55% of a core and add a few ms to TTFT tails; from ~64 streams
it is the bottleneck (use --fast-sse, or split the clients over several processes).

Run:  .build/bench-venv/bin/python bench/llm-gateway/load.py --base-url http://127.0.0.1:8000/v1 \
          --model perfect --clients 32 --seconds 12 [--stream] [--api chat] [--ignore-eos]
"""

import argparse
import asyncio
import json
import random
import sys
import time

import openai


def percentiles(values, ps):
    if not values:
        return {f"p{p}": None for p in ps}
    values = sorted(values)
    out = {}
    for p in ps:
        x = (len(values) - 1) * p / 100
        i = int(x)
        j = min(i + 1, len(values) - 1)
        out[f"p{p}"] = round(values[i] + (values[j] - values[i]) * (x - i), 3)
    return out


def error_status(e):
    if isinstance(e, openai.APIStatusError):
        return str(e.status_code)
    if isinstance(e, openai.APITimeoutError):
        return "timeout"
    if isinstance(e, openai.APIConnectionError):
        return "connection"
    if isinstance(e, (openai.APIError, StreamError)):
        return "stream_error"
    return type(e).__name__


async def one_request(client, args, max_tokens):
    """(ttft_s or None, output tokens) of one request; raises on failure."""
    common = dict(model=args.model, max_tokens=max_tokens, stream=args.stream)
    if args.stream:
        common["stream_options"] = {"include_usage": True}
    if args.ignore_eos:
        common["extra_body"] = {"ignore_eos": True}
    chat = args.api == "chat"
    if args.stream and args.fast_sse:
        return await fast_stream(client, chat, common, args.prompt)
    start = time.perf_counter()
    if chat:
        call = client.chat.completions.create(messages=[{"role": "user", "content": args.prompt}], **common)
    else:
        call = client.completions.create(prompt=args.prompt, **common)
    if not args.stream:
        answer = await call
        if answer.usage is not None and answer.usage.completion_tokens is not None:
            return None, answer.usage.completion_tokens
        text = answer.choices[0].message.content if chat else answer.choices[0].text
        return None, len((text or "").split())
    ttft = None
    chunks = 0
    usage = None
    stream = await call
    async with stream:
        async for chunk in stream:
            if chunk.usage is not None and chunk.usage.completion_tokens is not None:
                usage = chunk.usage.completion_tokens
            if not chunk.choices:
                continue
            text = chunk.choices[0].delta.content if chat else chunk.choices[0].text
            if text:
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - start
    return ttft, usage if usage is not None else chunks


class StreamError(Exception):
    pass


async def fast_stream(client, chat, common, prompt):
    """--fast-sse: the same call through the SDK's raw streaming response, each SSE event read
    with json.loads instead of being built into the SDK's chunk objects (which costs ~0.3 ms of
    CPU per chunk: the client's limit when many streams run at once)."""
    if chat:
        create = client.chat.completions.with_streaming_response.create(
            messages=[{"role": "user", "content": prompt}], **common)
    else:
        create = client.completions.with_streaming_response.create(prompt=prompt, **common)
    start = time.perf_counter()
    ttft = None
    chunks = 0
    usage = None
    async with create as response:
        async for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            event = json.loads(data)
            if "error" in event:
                raise StreamError(str(event["error"]))
            if event.get("usage"):
                usage = event["usage"].get("completion_tokens", usage)
            choices = event.get("choices")
            if not choices:
                continue
            text = (choices[0].get("delta") or {}).get("content") if chat else choices[0].get("text")
            if text:
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - start
    return ttft, usage if usage is not None else chunks


async def client_loop(index, client, args, window_start, records, sent):
    rng = random.Random(args.seed * 100_003 + index)
    # Starts spread over the warm-up: all clients starting together would send a burst of
    # requests whose first answers are late for the client's own sake (it builds them one by one).
    await asyncio.sleep(args.warmup * index / args.clients)
    while True:
        max_tokens = rng.randint(args.min_tokens, args.max_tokens)
        sent[0] += 1
        start = time.perf_counter()
        try:
            ttft, tokens = await one_request(client, args, max_tokens)
            status = "ok"
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - every failure is a data point
            ttft, tokens, status = None, 0, error_status(e)
        end = time.perf_counter()
        if end >= window_start:
            latency = end - start
            records.append((status, latency, latency if ttft is None else ttft, tokens, max_tokens))
        if status != "ok" and args.error_pause > 0:
            await asyncio.sleep(args.error_pause)


async def lag_monitor(lags, period=0.005):
    while True:
        t = time.perf_counter()
        await asyncio.sleep(period)
        lags.append((time.perf_counter() - t - period) * 1000)


async def run(args):
    client = openai.AsyncOpenAI(base_url=args.base_url, api_key="x", max_retries=0, timeout=args.timeout)
    records = []
    lags = []
    sent = [args.clients]
    # One 1-token request per client first, not counted: opens the connections and builds the
    # client's response types, which would otherwise add ~50 ms to the first requests.
    await asyncio.gather(*(one_request(client, args, 1) for _ in range(args.clients)), return_exceptions=True)
    t0 = time.perf_counter()
    window_start = t0 + args.warmup
    tasks = [asyncio.create_task(client_loop(i, client, args, window_start, records, sent)) for i in range(args.clients)]
    await asyncio.sleep(args.warmup)
    monitor = asyncio.create_task(lag_monitor(lags))
    cpu0 = time.process_time()
    await asyncio.sleep(max(0.0, window_start + args.seconds - time.perf_counter()))
    window_end = time.perf_counter()
    cpu1 = time.process_time()
    counted = list(records)  # what finished by now (no await since window_end): cancelled ones never count
    for task in tasks + [monitor]:
        task.cancel()
    await asyncio.gather(*tasks, monitor, return_exceptions=True)
    try:
        await client.close()
    except Exception:  # noqa: BLE001
        pass
    window = window_end - window_start
    ok = [r for r in counted if r[0] == "ok"]
    errors = {}
    for r in counted:
        if r[0] != "ok":
            errors[r[0]] = errors.get(r[0], 0) + 1
    tokens = sum(r[3] for r in ok)
    result = {
        "clients": args.clients,
        "seconds": round(window, 3),
        "api": args.api,
        "stream": args.stream,
        "requests": len(counted),
        "sent": sent[0],
        "ok": len(ok),
        "errors": errors,
        "req_per_s": round(len(ok) / window, 3),
        "tokens_per_s": round(tokens / window, 1),
        "latency_ms": percentiles([r[1] * 1000 for r in ok], (50, 90, 99)),
        "ttft_ms": percentiles([r[2] * 1000 for r in ok], (50, 90, 99)),
        "normalized_latency_ms_per_token": percentiles([r[1] * 1000 / r[3] for r in ok if r[3] > 0], (50, 90)),
        "short_outputs": sum(1 for r in ok if r[3] < r[4]),
        "client_cpu_pct": round(100 * (cpu1 - cpu0) / window, 1),
        "loop_lag_ms": {**percentiles(lags, (50, 99)), "max": round(max(lags), 3) if lags else None},
    }
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser(description="Closed-loop load on an OpenAI-compatible endpoint.")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--model", default="perfect")
    parser.add_argument("--api", choices=("completion", "chat"), default="completion")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=12.0, help="measured window, after the warm-up")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds at the start left out of the stats")
    parser.add_argument("--min-tokens", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--ignore-eos", action="store_true", help='send extra_body {"ignore_eos": true}')
    parser.add_argument(
        "--fast-sse", action="store_true",
        help="with --stream: read the SSE events with json.loads, not as the SDK's chunk objects (far less client CPU)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prompt", default="Write a story about a lighthouse keeper.")
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    parser.add_argument("--error-pause", type=float, default=0.05, help="a client's pause after an error, seconds")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--clients >= 1, --seconds > 0, --warmup >= 0")
    if not 1 <= args.min_tokens <= args.max_tokens:
        parser.error("need 1 <= --min-tokens <= --max-tokens")
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
