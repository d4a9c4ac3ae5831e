"""Extract configurations: saved ones (`cfg-...`) and the inline ones of jobs without an ID.

A `ConfigSpec` is shape-neutral; `as_json(shape)` renders it as the service does today
(`current`: the SDK's ExtractConfiguration) or as the seed page documents it (`seed`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from llamaextract_cli.sandbox import documents
from llamaextract_cli.sandbox.failures import uuid_from

TIERS = ("cost_effective", "agentic", "agentic_plus", "turbo")
PARSE_TIERS = ("fast", "cost_effective", "agentic", "agentic_plus")
TARGETS = ("per_doc", "per_page", "per_table_row")
# credits per page
TIER_RATE = {"cost_effective": 5.0, "agentic": 15.0, "agentic_plus": 50.0, "turbo": 35.0}
PARSE_RATE = {"fast": 1.0, "cost_effective": 3.0, "agentic": 10.0, "agentic_plus": 45.0}
# the seed page knows two extract tiers and three parse tiers
_SEED_TIER = {
    "cost_effective": "cost_effective",
    "agentic": "agentic",
    "agentic_plus": "agentic",
    "turbo": "cost_effective",
}
_SEED_PARSE_TIER = {
    "fast": "fast",
    "cost_effective": "cost_effective",
    "agentic": "agentic",
    "agentic_plus": "agentic",
}

PROMPTS = (
    "Extract all monetary values in USD. If a currency is not specified, assume USD.",
    "Dates are written DD/MM/YYYY; return them as YYYY-MM-DD.",
    "Ignore handwritten annotations and stamps.",
    "If a field is missing, return null rather than guessing.",
    "Only extract the signed version of the agreement; skip drafts in the appendix.",
)
TARGET_PAGES = ("1", "1-3", "1,3,5-7", "2-4", "1,2")
VERSIONS = ("latest", "latest", "2.5", "2025-06-01")
LANGS = ("en", "en", "en", "de", "fr", "es")


@dataclass
class ConfigSpec:
    kind: str
    tier: str
    extraction_target: str
    version: str
    cite_sources: bool | None = None
    confidence_scores: bool | None = None
    max_pages: int | None = None
    target_pages: str | None = None
    parse_tier: str | None = None
    parse_config_id: str | None = None
    system_prompt: str | None = None
    lang: str = "en"
    advanced_citations: bool | None = None
    disable_cache: bool | None = None
    id: str | None = None  # saved configurations only
    _json: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def effective_parse_tier(self) -> str | None:
        """The parse tier used: the one set, else the extract tier's; turbo does not parse."""
        if self.tier == "turbo":
            return None
        if self.parse_tier:
            return self.parse_tier
        return self.tier if self.tier in PARSE_RATE else "cost_effective"

    def pages_extracted(self, pages: int) -> int:
        if self.target_pages:
            wanted: set[int] = set()
            for part in self.target_pages.split(","):
                lo, _, hi = part.partition("-")
                wanted.update(range(int(lo), int(hi or lo) + 1))
            pages = len([p for p in wanted if p <= pages])
        if self.max_pages is not None:
            pages = min(pages, self.max_pages)
        return pages

    def as_json(self, shape: str) -> dict[str, Any]:
        cached = self._json.get(shape)
        if cached is None:
            cached = self._json[shape] = self._render(shape)
        return cached

    def _render(self, shape: str) -> dict[str, Any]:
        seed = shape == "seed"
        out: dict[str, Any] = {"data_schema": documents.SCHEMAS[self.kind]}
        if self.advanced_citations is not None and not seed:
            out["advanced_citations"] = self.advanced_citations
        if self.cite_sources is not None:
            out["cite_sources"] = self.cite_sources
        if self.confidence_scores is not None:
            out["confidence_scores"] = self.confidence_scores
        if self.disable_cache is not None and not seed:
            out["disable_cache"] = self.disable_cache
        if seed:
            out["extract_version"] = self.version
        out["extraction_target"] = self.extraction_target
        if seed:
            out["lang"] = self.lang
        if self.max_pages is not None:
            out["max_pages"] = self.max_pages
        if self.parse_config_id is not None:
            out["parse_config_id"] = self.parse_config_id
        if self.parse_tier is not None:
            out["parse_tier"] = _SEED_PARSE_TIER[self.parse_tier] if seed else self.parse_tier
        if self.system_prompt is not None:
            out["system_prompt"] = self.system_prompt
        if self.target_pages is not None:
            out["target_pages"] = self.target_pages
        out["tier"] = _SEED_TIER[self.tier] if seed else self.tier
        if not seed:
            out["version"] = self.version
        return out


def _cfg_id(rng: random.Random) -> str:
    return "cfg-" + uuid_from(rng.getrandbits(128))


def saved_configs(rng: random.Random) -> list[ConfigSpec]:
    """Eight saved configurations that, together, set every configuration field."""
    specs = [
        ConfigSpec(
            "invoice",
            "cost_effective",
            "per_doc",
            "latest",
            cite_sources=True,
            confidence_scores=True,
            parse_tier="fast",
        ),
        ConfigSpec(
            "invoice",
            "agentic",
            "per_table_row",
            "2.5",
            cite_sources=False,
            confidence_scores=True,
            max_pages=50,
            parse_tier="agentic",
            system_prompt=PROMPTS[0],
        ),
        ConfigSpec(
            "receipt",
            "cost_effective",
            "per_doc",
            "latest",
            confidence_scores=True,
            target_pages="1",
            parse_tier="fast",
        ),
        ConfigSpec(
            "contract",
            "agentic_plus",
            "per_doc",
            "2025-06-01",
            cite_sources=True,
            advanced_citations=True,
            confidence_scores=True,
            parse_config_id="",
            system_prompt=PROMPTS[4],
        ),
        ConfigSpec(
            "contract",
            "agentic",
            "per_page",
            "latest",
            cite_sources=True,
            target_pages="1,3,5-7",
            max_pages=10,
            parse_tier="cost_effective",
        ),
        ConfigSpec(
            "resume",
            "turbo",
            "per_doc",
            "latest",
            cite_sources=True,
            confidence_scores=False,
            disable_cache=True,
        ),
        ConfigSpec(
            "receipt",
            "cost_effective",
            "per_table_row",
            "2.5",
            max_pages=5,
            parse_tier="agentic_plus",
            lang="es",
        ),
        ConfigSpec(
            "invoice",
            "agentic",
            "per_page",
            "latest",
            confidence_scores=True,
            max_pages=20,
            target_pages="1-5",
            system_prompt=PROMPTS[1],
            lang="de",
        ),
    ]
    for spec in specs:
        spec.id = _cfg_id(rng)
        if spec.parse_config_id == "":
            spec.parse_config_id = _cfg_id(rng)
    return specs


def inline_config(rng: random.Random) -> ConfigSpec:
    """A random configuration as a job might carry inline (no configuration_id)."""
    r = rng.random
    tier = rng.choices(TIERS, (40, 35, 15, 10))[0]
    target = "per_doc" if tier == "agentic_plus" else rng.choices(TARGETS, (60, 20, 20))[0]
    spec = ConfigSpec(rng.choice(documents.KINDS), tier, target, rng.choice(VERSIONS))
    if r() < 0.5:
        spec.cite_sources = r() < 0.6
    if r() < 0.6:
        spec.confidence_scores = r() < 0.7
    if r() < 0.3:
        spec.max_pages = rng.choice((5, 10, 25, 50, 100, 300))
    if r() < 0.2:
        spec.target_pages = rng.choice(TARGET_PAGES)
    if tier != "turbo":
        if r() < 0.4:
            spec.parse_tier = rng.choice(PARSE_TIERS)
        if r() < 0.1:
            spec.parse_config_id = _cfg_id(rng)
    if r() < 0.3:
        spec.system_prompt = rng.choice(PROMPTS)
    spec.lang = rng.choice(LANGS)
    return spec
