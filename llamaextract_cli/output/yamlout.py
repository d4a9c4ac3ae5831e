"""`-o yaml`: the values `-o json` writes, as safe YAML (PyYAML, imported only here).

- A listing (what json writes as an array) is a stream of documents, one per item,
  each starting with `---` and written as it comes (like jsonl): `yaml.safe_load_all`
  gives back the json array's items; zero items write nothing.
- One value (a job, a stats object, a per_doc result) is one document.

Plain YAML only: no tags, no anchors or aliases (a value seen twice is written twice),
keys in their order, non-ASCII text as is, no line folding. Strings that YAML would
read as something else (`"123"`, `"true"`, `"null"`, `"2026-12-01"`, `"yes"`, `""`)
are quoted, so every value reads back as the json one. Each document goes out in one
`stream.write`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llamaextract_cli.output.columns import Column


@lru_cache(maxsize=1)
def _dumper() -> Any:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # LibYAML when the wheel has it

    class Dumper(base):  # type: ignore[misc, valid-type]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def tuple_as_list(dumper: Any, data: tuple[Any, ...]) -> Any:
        return dumper.represent_list(list(data))

    def other_as_string(dumper: Any, data: Any) -> Any:  # datetimes and the like
        return dumper.represent_str(str(data))

    Dumper.add_representer(tuple, tuple_as_list)
    Dumper.add_multi_representer(object, other_as_string)
    return Dumper


def document(value: Any) -> str:
    """One YAML document of `value`, starting with `---`."""
    import yaml

    return yaml.dump(
        value,
        Dumper=_dumper(),
        explicit_start=True,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=2**31 - 1,
    )


def write_yaml(stream: IO[str], value: Any) -> None:
    """A value as json would write it: an array as one document per item, else one."""
    if isinstance(value, list):
        for item in value:
            stream.write(document(item))
    else:
        stream.write(document(value))
    stream.flush()


class YamlRenderer:
    """The `Renderer` of `-o yaml`: one document per item (projected like json's)."""

    def __init__(self, stream: IO[str], columns: Sequence[Column] | None = None) -> None:
        from llamaextract_cli.output.jsonout import projector

        self._stream = stream
        self._project = projector(columns)

    def write(self, item: Mapping[str, Any]) -> None:
        if self._project is not None:
            item = self._project(item)
        self._stream.write(document(item))

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()
