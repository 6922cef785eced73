"""The official `openai` package against an epara gateway: what a user's code does first (list
the models), then chat, text completion and streaming, and the errors it must be able to tell
apart. Prints one JSON object of what it saw; OfficialClientTests holds it.

usage: openai_client.py BASE_URL TOKEN
"""
import json
import sys

import openai

base, token = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key=token, max_retries=0, timeout=30)
seen = {}

seen["models"] = sorted(model.id for model in client.models.list())
seen["retrieved"] = client.models.retrieve("chat").id

chat = client.chat.completions.create(
    model="chat", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8
)
seen["chat"] = {
    "content": chat.choices[0].message.content,
    "finish_reason": chat.choices[0].finish_reason,
    "completion_tokens": chat.usage.completion_tokens,
    "prompt_tokens": chat.usage.prompt_tokens,
}

text = client.completions.create(model="chat", prompt="Once upon a time", max_tokens=5)
seen["completion"] = {"text": text.choices[0].text, "completion_tokens": text.usage.completion_tokens}

chunks = list(
    client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "Count."}],
        max_tokens=6,
        stream=True,
        stream_options={"include_usage": True},
    )
)
seen["stream"] = {
    "content_chunks": sum(1 for c in chunks if c.choices and c.choices[0].delta.content),
    "text": "".join(c.choices[0].delta.content or "" for c in chunks if c.choices),
    "usage_completion_tokens": next((c.usage.completion_tokens for c in chunks if c.usage), None),
}


def error_of(call):
    try:
        call()
    except openai.APIStatusError as error:
        return {"class": type(error).__name__, "status": error.status_code, "code": error.code, "type": error.type}
    return None


seen["unknown_model"] = error_of(
    lambda: client.chat.completions.create(model="no-such", messages=[{"role": "user", "content": "x"}])
)
seen["vision_model"] = error_of(
    lambda: client.chat.completions.create(model="double", messages=[{"role": "user", "content": "x"}])
)
wrong = openai.OpenAI(base_url=base + "/v1", api_key="not-the-token", max_retries=0, timeout=30)
seen["bad_token"] = error_of(lambda: wrong.models.list())
print(json.dumps(seen, sort_keys=True))
