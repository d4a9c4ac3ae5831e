"""The official SDK (llama-cloud) listing jobs: every job as one JSON line.

    python sdk_list.py URL [--mode dumps|to_json] [--limit N]   (key from LLAMA_CLOUD_API_KEY)

`client.extract.list(page_size=100)` pages by itself and builds a model per job.
`dumps` writes `json.dumps(job.model_dump(mode="json"))` (what the issue names);
`to_json` writes `job.to_json(indent=None)` (pydantic's serializer, fields as the
API sent them), the fastest way the SDK offers. `--limit 1` gives its time to
first item.
"""

import json
import os
import sys

from llama_cloud import LlamaCloud

url = sys.argv[1]
args = sys.argv[2:]
mode = args[args.index("--mode") + 1] if "--mode" in args else "dumps"
limit = int(args[args.index("--limit") + 1]) if "--limit" in args else None

client = LlamaCloud(base_url=url, api_key=os.environ["LLAMA_CLOUD_API_KEY"])
out = sys.stdout
for count, job in enumerate(
    client.extract.list(page_size=100 if limit is None else min(limit, 100)), start=1
):
    if mode == "to_json":
        out.write(job.to_json(indent=None) + "\n")
    else:
        out.write(json.dumps(job.model_dump(mode="json")) + "\n")
    if limit is not None and count >= limit:
        out.flush()
        break
