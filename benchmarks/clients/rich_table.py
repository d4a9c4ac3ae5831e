"""Reference: one rich Table of every job in a JSON Lines file, printed at a fixed width.

    python rich_table.py JOBS.jsonl [--width 160]

The columns of `lx jobs list`'s table (ID, STATUS, INPUT, CONFIG, CREATED,
DURATION, ERROR), built the obvious way: add every row, then print the table.
Reads a file so that only the rendering is measured.
"""

import json
import sys

from rich.console import Console
from rich.table import Table

path = sys.argv[1]
width = int(sys.argv[sys.argv.index("--width") + 1]) if "--width" in sys.argv else 160

table = Table("ID", "STATUS", "INPUT", "CONFIG", "CREATED", "DURATION", "ERROR", box=None)
with open(path, encoding="utf-8") as f:
    for line in f:
        job = json.loads(line)
        table.add_row(
            job.get("id"),
            job.get("status"),
            job.get("file_input") or job.get("document_input_value") or "-",
            job.get("configuration_id") or "-",
            job.get("created_at") or "-",
            job.get("updated_at") or "-",
            job.get("error_message") or "-",
        )
Console(file=sys.stdout, width=width, color_system=None).print(table)
