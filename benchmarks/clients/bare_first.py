"""The floor for time to first row: import httpx, make the one request, print the item.

    python bare_first.py URL [--trimmed]    (the key comes from LLAMA_CLOUD_API_KEY)

What a user would write by hand: `httpx.get`, `.json()`, `print`. `--trimmed`
applies what lx does at start-up to the same script: httpx's unused optional
imports (trio, anyio, httpx's own CLI) are skipped, and a plain-http URL gets a
TLS context without the CA bundle. It shows the floor lx is measured against
once those costs are gone from both.
"""

import os
import sys

if "--trimmed" in sys.argv:
    for name in ("trio", "anyio", "httpx._main"):
        sys.modules.setdefault(name, None)

import httpx

verify = True
if "--trimmed" in sys.argv and sys.argv[1].startswith("http://"):
    import ssl

    verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

response = httpx.get(
    sys.argv[1] + "/api/v2/extract",
    params={"page_size": "1"},
    headers={"Authorization": f"Bearer {os.environ['LLAMA_CLOUD_API_KEY']}"},
    verify=verify,
)
response.raise_for_status()
print(response.json()["items"][0])
