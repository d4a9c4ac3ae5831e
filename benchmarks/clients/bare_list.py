"""The floor for throughput: a plain httpx loop that decodes each page and writes each item.

    python bare_list.py URL [--decoder orjson|json]   (key from LLAMA_CLOUD_API_KEY)

One keep-alive `httpx.Client`, page_size 100, no prefetching, one compact JSON line
per item on stdout. `orjson` decodes with `orjson.loads` and writes `orjson.dumps`
bytes; `json` uses `response.json()` and `json.dumps` (the standard library).
"""

import os
import sys

import httpx

url = sys.argv[1]
decoder = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--decoder" else "orjson"
headers = {"Authorization": f"Bearer {os.environ['LLAMA_CLOUD_API_KEY']}"}

with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
    token = None
    if decoder == "orjson":
        import orjson

        out = sys.stdout.buffer
        while True:
            params = {"page_size": "100", **({"page_token": token} if token else {})}
            response = client.get("/api/v2/extract", params=params)
            response.raise_for_status()
            page = orjson.loads(response.content)
            for item in page["items"]:
                out.write(orjson.dumps(item) + b"\n")
            token = page.get("next_page_token")
            if not token:
                break
    else:
        import json

        out = sys.stdout
        while True:
            params = {"page_size": "100", **({"page_token": token} if token else {})}
            response = client.get("/api/v2/extract", params=params)
            response.raise_for_status()
            page = response.json()
            for item in page["items"]:
                out.write(json.dumps(item, separators=(",", ":")) + "\n")
            token = page.get("next_page_token")
            if not token:
                break
