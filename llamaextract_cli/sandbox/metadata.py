"""Per-field metadata of a completed job: citations and confidence, mirroring its result.

Built only when a job is shown with `expand=extract_metadata`, from an RNG of its own
(seeded from the job's seed), so that asking for metadata changes no other byte of a job.

The map mirrors `extract_result`: nested objects nest, arrays hold one entry per item, and
every leaf value (a scalar, or an item of an array of scalars) has an entry with some of

- `citation` (`citations` in the seed shape): `[{page, matching_text, bounding_boxes:
  [{x, y, w, h}], page_dimensions: {width, height}}]`, `[]` for a null value; a job that was
  not parsed (turbo) cites only `page` and `matching_text`;
- `confidence` (0..1); with extract version `latest` also `extraction_confidence` and,
  when the document was parsed and the value found, `parsing_confidence` (`confidence` is
  then the lower of the two);
  `2025-06-01` adds `extraction_confidence` only, `2.5` gives `confidence` alone;
- `reasoning` (text) on the top-level fields of the agentic tiers.

Citations come with `cite_sources`, confidences with `confidence_scores`; with neither the
job has no field metadata (`null`). Confidences are mostly above 0.9, with a low tail that
depends on the field (amounts and totals worse than names), the document kind (receipts are
photos, often handwritten), the tiers (cost_effective and a fast parse are worse) and the
document (a few are poor scans).
"""

from __future__ import annotations

from typing import Any

from llamaextract_cli.sandbox.configs import ConfigSpec
from llamaextract_cli.sandbox.documents import ROW_FIELD
from llamaextract_cli.sandbox.rng import FastRandom

# chance that a value falls in the low tail, before the multipliers below
KIND_RISK = {"invoice": 0.025, "receipt": 0.06, "contract": 0.02, "resume": 0.02}
FIELD_RISK: dict[str, dict[str, float]] = {
    "invoice": {
        "invoice_number": 0.8, "vendor_name": 0.4, "invoice_date": 1.0, "due_date": 2.0,
        "currency": 1.5, "description": 0.5, "quantity": 1.5, "unit_price": 2.5,
        "amount": 3.5, "subtotal": 1.5, "tax": 2.5, "total": 2.0,
    },
    "receipt": {
        "merchant": 0.6, "date": 5.0, "time": 2.5, "payment_method": 1.0, "name": 0.6,
        "qty": 1.5, "price": 2.5, "tax": 2.0, "total": 6.0,
    },
    "contract": {
        "title": 0.3, "name": 0.4, "role": 1.5, "effective_date": 1.5,
        "termination_date": 5.0, "governing_law": 1.0, "auto_renewal": 6.0,
        "payment_terms": 2.0, "heading": 0.3, "summary": 2.5,
    },
    "resume": {
        "full_name": 0.2, "email": 0.5, "phone": 1.5, "location": 1.0,
        "years_experience": 7.0, "skills": 1.5, "company": 0.6, "title": 1.0,
        "start_date": 2.5, "end_date": 3.0, "institution": 0.8, "degree": 1.0, "year": 2.0,
    },
}  # fmt: skip
TIER_RISK = {"cost_effective": 1.4, "agentic": 0.8, "agentic_plus": 0.5, "turbo": 2.0}
PARSE_RISK = {None: 1.2, "fast": 1.4, "cost_effective": 1.0, "agentic": 0.7, "agentic_plus": 0.5}
POOR_SCAN = 0.07  # share of documents whose every field is riskier (x3)
MAX_RISK = 0.75

# why a value is uncertain, by field (the reasoning of a low-confidence top-level field)
DOUBTS = {
    "total": "the total is handwritten and partly illegible",
    "date": "the date is smudged; the year was inferred from context",
    "time": "the time is faint on the thermal paper",
    "tax": "two tax lines; the larger one was taken",
    "due_date": "no due date printed; derived from the payment terms",
    "termination_date": "no explicit end date; derived from the term clause",
    "auto_renewal": "the renewal clause is ambiguous",
    "years_experience": "estimated from the dates of the listed positions",
    "currency": "no currency symbol; inferred from the vendor's address",
    "payment_terms": "payment terms differ between the body and the appendix",
}
INFERRED = frozenset(
    ("currency", "payment_method", "auto_renewal", "years_experience", "due_date", "tax")
)
CARD_TEXT = {"card": "VISA **** 4821", "cash": "CASH", "apple_pay": "Apple Pay", "other": "OTHER"}
LETTER, A4 = (612.0, 792.0), (595.0, 842.0)


def extracted_pages(cfg: ConfigSpec, doc_pages: int) -> list[int]:
    """The page numbers the job extracted (1-based, ascending), never empty."""
    if cfg.target_pages:
        wanted: set[int] = set()
        for part in cfg.target_pages.split(","):
            lo, _, hi = part.partition("-")
            wanted.update(range(int(lo), min(int(hi or lo), doc_pages) + 1))
        pages = sorted(p for p in wanted if p <= doc_pages)
    else:
        pages = list(range(1, doc_pages + 1))
    if cfg.max_pages is not None:
        pages = pages[: cfg.max_pages]
    return pages or [1]


def field_metadata(
    cfg: ConfigSpec, result: Any, *, seed: int, doc_pages: int, shape: str
) -> dict[str, Any] | None:
    """`extract_metadata.field_metadata` of a completed job whose result is `result`."""
    if not (cfg.cite_sources or cfg.confidence_scores):
        return None
    b = _Builder(cfg, FastRandom(seed), extracted_pages(cfg, doc_pages), shape)
    if cfg.extraction_target == "per_doc":
        doc = b.document(result, b.pages)
        # older answers (the seed page's era) put the field map right under field_metadata
        return doc if shape == "seed" else {"document_metadata": doc}
    if cfg.extraction_target == "per_page":
        return {"page_metadata": [b.document(item, [b.pages[i]]) for i, item in enumerate(result)]}
    n = len(b.pages)
    return {
        "row_metadata": [
            b.node(row, "", b.pages[min(i // 20, n - 1)], True) for i, row in enumerate(result)
        ]
    }


class _Builder:
    def __init__(self, cfg: ConfigSpec, rng: FastRandom, pages: list[int], shape: str) -> None:
        self.rng = rng
        self.kind = cfg.kind
        self.pages = pages
        self.cite = bool(cfg.cite_sources)
        self.conf = bool(cfg.confidence_scores)
        self.cite_key = "citations" if shape == "seed" else "citation"
        parse_tier = cfg.effective_parse_tier
        self.parsed = parse_tier is not None  # a parsed document has boxes to cite
        self.keys = {"latest": 3, "2025-06-01": 2}.get(cfg.version, 1)  # confidence keys
        self.reasoning = cfg.tier in ("agentic", "agentic_plus")
        self.lang = cfg.lang
        poor = rng.random() < POOR_SCAN
        self.risk = (
            KIND_RISK[cfg.kind]
            * TIER_RISK.get(cfg.tier, 1.0)
            * PARSE_RISK.get(parse_tier, 1.0)
            * (3.0 if poor else 1.0)
        )
        self.field_risk = FIELD_RISK[cfg.kind]
        self.risks: dict[str, float] = {}
        # OCR quality of the document (in thousandths); a fast parse has a longer tail
        spread = 0.10 if parse_tier == "fast" else 0.05
        self.page_q = (
            999 - int(1000 * spread * rng.random() ** 3) - (int(150 * rng.random()) if poor else 0)
        )
        if cfg.kind == "receipt":  # a phone photo, in pixels
            self.width, self.height = 1080.0, rng.choice((1440.0, 1920.0, 2340.0))
            self.per_line = 32
        else:
            self.width, self.height = LETTER if cfg.lang == "en" else A4
            self.per_line = 90
        self.margin = self.width * 0.08
        self.char_w = (self.width - 2 * self.margin) / self.per_line
        self.line_h = self.char_w * 2.6
        self.max_lines = max(1, int((self.height - 2 * self.margin) / self.line_h))
        self.lines: dict[int, int] = {}
        self.last = pages[0]  # where a name is repeated (footer, signatures): a doc's last page
        self.dims = {"width": self.width, "height": self.height}
        self.box_h = int(self.line_h * 8 + 0.5) / 10

    # ------------------------------------------------------------------ structure
    def document(self, doc: dict[str, Any], pages: list[int]) -> dict[str, Any]:
        """A result object: fields before the row array on the first page, the rows flowing
        over the pages, the fields after them (totals) on the last row's page."""
        out: dict[str, Any] = {}
        page = pages[0]
        self.last = pages[-1]
        row_field = ROW_FIELD[self.kind]
        n_pages = len(pages)
        for key, value in doc.items():
            if key == row_field and isinstance(value, list):
                n = len(value)
                items = []
                for i, item in enumerate(value):
                    if self.kind == "contract":  # clauses spread over the whole agreement
                        page = pages[i * n_pages // n]
                    else:
                        page = pages[min(i // 20, n_pages - 1)]
                    items.append(self.node(item, key, page, False))
                out[key] = items
            else:
                out[key] = self.node(value, key, page, True)
        return out

    def node(self, value: Any, key: str, page: int, top: bool) -> Any:
        if isinstance(value, dict):
            return {k: self.node(v, k, page, top) for k, v in value.items()}
        if isinstance(value, list):
            return [self.node(v, key, page, False) for v in value]
        return self.leaf(value, key, page, top)

    # ------------------------------------------------------------------ one value
    def leaf(self, value: Any, key: str, page: int, top: bool) -> dict[str, Any]:
        rng = self.rng
        e: dict[str, Any] = {}
        if self.cite:
            e[self.cite_key] = [] if value is None else self.citations(value, key, page)
        conf = 1.0
        if self.conf:
            risk = self.risks.get(key)
            if risk is None:
                risk = self.risks[key] = min(MAX_RISK, self.risk * self.field_risk.get(key, 1.0))
            # in thousandths: n / 1000 is the float that prints as 0.nnn
            if rng.random() < risk:  # the low tail
                ext = (300 + int(580 * rng.random() ** 0.7)) / 1000
            else:
                r = rng.random()
                ext = (999 - int(89 * r * r)) / 1000
            conf = ext
            if self.keys == 3 and self.parsed and value is not None:
                parse = max(0, self.page_q - int(20 * rng.random())) / 1000
                conf = min(ext, parse)
                e["confidence"] = conf
                e["extraction_confidence"] = ext
                e["parsing_confidence"] = parse
            else:
                e["confidence"] = ext
                if self.keys >= 2:
                    e["extraction_confidence"] = ext
        if top and self.reasoning:
            if value is None:
                e["reasoning"] = "NOT FOUND IN DOCUMENT"
            elif conf < 0.8:
                doubt = DOUBTS.get(key, "several candidate values on the page")
                e["reasoning"] = f"INFERRED FROM TEXT: {doubt}"
            elif key in INFERRED:
                e["reasoning"] = "INFERRED FROM TEXT"
            else:
                e["reasoning"] = "VERBATIM EXTRACTION"
        return e

    def citations(self, value: Any, key: str, page: int) -> list[dict[str, Any]]:
        text = self.text(value, key)
        out = [self.citation(text, page)]
        last = self.last
        repeated = last != page and (
            key in ("vendor_name", "merchant", "full_name")
            or (key == "name" and self.kind == "contract")  # the parties sign at the end
        )
        if repeated and self.rng.random() < 0.25:  # in the footer or the signature block too
            out.append(self.citation(text, last))
        return out

    def citation(self, text: str, page: int) -> dict[str, Any]:
        c: dict[str, Any] = {"page": page, "matching_text": text}
        if not self.parsed:
            return c
        rng = self.rng
        line = self.lines.get(page, 0)
        usable = self.width - 2 * self.margin
        width = len(text) * self.char_w
        boxes = []
        if width <= usable:
            # after a label, when the value leaves room for one
            room = usable - width
            x = self.margin + (room * rng.random() * 0.6 if room > 0 else 0.0)
            boxes.append(self._box(x, line, width))
            line += 1
        else:  # wraps over several lines
            left = len(text)
            while left > 0:
                n = min(left, self.per_line)
                boxes.append(self._box(self.margin, line, n * self.char_w))
                left -= n
                line += 1
        self.lines[page] = line + (1 if rng.random() < 0.3 else 0)
        c["bounding_boxes"] = boxes
        c["page_dimensions"] = self.dims
        return c

    def _box(self, x: float, line: int, w: float) -> dict[str, float]:
        y = self.margin + (line % self.max_lines) * self.line_h
        w = min(w, self.width - self.margin - x)
        # to a tenth, down: a box never grows past the page
        return {
            "x": int(x * 10) / 10,
            "y": int(y * 10) / 10,
            "w": int(w * 10) / 10,
            "h": self.box_h,
        }

    def text(self, value: Any, key: str) -> str:
        """The value as printed on the page."""
        if isinstance(value, bool):
            return (
                "renews automatically for successive one-year terms"
                if value
                else "shall not renew automatically"
            )
        if isinstance(value, float):
            s = f"{value:,.2f}"
            if self.lang == "de":  # 1.234,50
                s = s.replace(",", " ").replace(".", ",").replace(" ", ".")
            return s
        if isinstance(value, int):
            return str(value)
        s = str(value)
        if key == "payment_method":
            return CARD_TEXT.get(s, s)
        if self.lang != "en" and len(s) == 10 and s[4] == "-" and s[7] == "-":
            sep = "." if self.lang == "de" else "/"
            return f"{s[8:10]}{sep}{s[5:7]}{sep}{s[:4]}"  # 01.12.2025, 01/12/2025
        return s
