"""The lowest floor for throughput: the standard library's http.client, decoded by orjson.

    python stdlib_list.py URL   (key from LLAMA_CLOUD_API_KEY)

One keep-alive `http.client.HTTPConnection`, page_size 100, no prefetching; each page
decoded with `orjson.loads` and each item written as `orjson.dumps` bytes, one a line.
"""

import http.client
import os
import sys
from urllib.parse import urlencode, urlsplit

import orjson

parts = urlsplit(sys.argv[1])
conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
headers = {"Authorization": f"Bearer {os.environ['LLAMA_CLOUD_API_KEY']}"}
out = sys.stdout.buffer
token = None
while True:
    params = {"page_size": "100", **({"page_token": token} if token else {})}
    conn.request("GET", f"/api/v2/extract?{urlencode(params)}", headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"HTTP {response.status}")
    page = orjson.loads(body)
    for item in page["items"]:
        out.write(orjson.dumps(item) + b"\n")
    token = page.get("next_page_token")
    if not token:
        break
conn.close()
