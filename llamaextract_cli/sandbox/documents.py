"""What the emulated jobs extract: JSON Schemas and results that conform to them.

Four document kinds (invoices, receipts, contracts, resumes), each with scalar fields and one
array of rows (what `per_table_row` extracts). Every value is plain JSON (str, int, float,
bool, None, list, dict) and ASCII, so any JSON encoder gives the same bytes.
"""

from __future__ import annotations

import random
import time
from typing import Any

KINDS = ("invoice", "receipt", "contract", "resume")
ROW_FIELD = {
    "invoice": "line_items",
    "receipt": "items",
    "contract": "clauses",
    "resume": "experience",
}

JsonObj = dict[str, Any]


def _s(description: str, **extra: Any) -> JsonObj:
    return {"type": "string", "description": description, **extra}


def _n(description: str) -> JsonObj:
    return {"type": "number", "description": description}


SCHEMAS: dict[str, JsonObj] = {
    "invoice": {
        "type": "object",
        "title": "Invoice",
        "properties": {
            "invoice_number": _s("Invoice identifier as printed"),
            "vendor_name": _s("Legal name of the issuing company"),
            "invoice_date": _s("Date of issue", format="date"),
            "due_date": _s("Payment due date", format="date"),
            "currency": _s("ISO 4217 code", enum=["USD", "EUR", "GBP", "CAD"]),
            "line_items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "description": _s("Item or service"),
                        "quantity": _n("Units billed"),
                        "unit_price": _n("Price per unit"),
                        "amount": _n("Line total"),
                    },
                    "required": ["description", "amount"],
                },
            },
            "subtotal": _n("Sum of line items before tax"),
            "tax": _n("Total tax"),
            "total": _n("Amount due"),
        },
        "required": ["invoice_number", "vendor_name", "total"],
    },
    "receipt": {
        "type": "object",
        "title": "Receipt",
        "properties": {
            "merchant": _s("Store or merchant name"),
            "date": _s("Purchase date", format="date"),
            "time": _s("Purchase time, 24h HH:MM"),
            "payment_method": _s("How it was paid", enum=["card", "cash", "apple_pay", "other"]),
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": _s("Item name"),
                        "qty": {"type": "integer", "description": "Quantity"},
                        "price": _n("Price paid"),
                    },
                },
            },
            "tax": _n("Sales tax"),
            "total": _n("Total paid"),
        },
        "required": ["merchant", "total"],
    },
    "contract": {
        "type": "object",
        "title": "Contract",
        "properties": {
            "title": _s("Agreement title"),
            "parties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": _s("Party name"), "role": _s("Role in the agreement")},
                },
            },
            "effective_date": _s("Effective date", format="date"),
            "termination_date": {"type": ["string", "null"], "format": "date"},
            "governing_law": _s("Jurisdiction whose law governs"),
            "auto_renewal": {"type": "boolean", "description": "Renews automatically"},
            "payment_terms": _s("Payment terms, e.g. Net 30"),
            "clauses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"heading": _s("Clause heading"), "summary": _s("One sentence")},
                },
            },
        },
        "required": ["title", "parties", "effective_date"],
    },
    "resume": {
        "type": "object",
        "title": "Resume",
        "properties": {
            "full_name": _s("Candidate name"),
            "email": _s("Email address", format="email"),
            "phone": _s("Phone number"),
            "location": _s("City, country"),
            "years_experience": _n("Total years of professional experience"),
            "skills": {"type": "array", "items": {"type": "string"}},
            "experience": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "company": _s("Employer"),
                        "title": _s("Job title"),
                        "start_date": _s("Start (YYYY-MM)"),
                        "end_date": {"type": ["string", "null"], "description": "End or null"},
                    },
                },
            },
            "education": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "institution": _s("School"),
                        "degree": _s("Degree"),
                        "year": {"type": "integer"},
                    },
                },
            },
        },
        "required": ["full_name"],
    },
}

COMPANIES = (
    "Acme Industrial Supply",
    "Globex Logistics",
    "Initech Software",
    "Umbrella Health",
    "Stark Components",
    "Wayne Facilities",
    "Hooli Cloud Services",
    "Vandelay Imports",
    "Soylent Foods",
    "Tyrell Analytics",
    "Cyberdyne Systems",
    "Wonka Confections",
    "Northwind Traders",
    "Contoso Consulting",
    "Fabrikam Office",
    "Blue Harbor Freight",
)
MERCHANTS = (
    "Whole Grain Market",
    "Corner Coffee Co",
    "Metro Hardware",
    "City Pharmacy",
    "Blue Bottle Cafe",
    "Office Depot #1142",
    "Shell Station 88",
    "Trader Lane",
)
PRODUCTS = (
    "Consulting services",
    "Annual support plan",
    "Steel brackets (box of 50)",
    "Cloud hosting - March",
    "Onboarding workshop",
    "Replacement filters",
    "Laptop stand",
    "Freight surcharge",
    "Software license (seat)",
    "Printer toner",
    "Travel expenses",
)
GROCERIES = (
    "Oat milk",
    "Espresso",
    "Bagel",
    "AA batteries",
    "Notebook",
    "Bananas",
    "Sparkling water",
)
PEOPLE = (
    "Maria Garcia",
    "James Chen",
    "Aisha Okafor",
    "Lukas Schmidt",
    "Priya Natarajan",
    "Tom Becker",
    "Sofia Rossi",
    "Kenji Tanaka",
    "Emma Dubois",
    "Omar Haddad",
)
CITIES = ("Berlin, DE", "Austin, US", "Toronto, CA", "London, UK", "Lyon, FR", "Pune, IN")
TITLES = ("Data Engineer", "Product Manager", "Accountant", "Staff Engineer", "Analyst")
SKILLS = ("Python", "SQL", "Excel", "Kubernetes", "Negotiation", "Go", "Tableau", "Spanish")
CLAUSES = (
    ("Term", "The agreement runs for twelve months from the effective date."),
    ("Payment", "Invoices are payable within thirty days of receipt."),
    ("Confidentiality", "Each party keeps the other's information confidential."),
    ("Termination", "Either party may terminate with sixty days written notice."),
    ("Liability", "Liability is capped at the fees paid in the prior twelve months."),
    ("Governing law", "The agreement is governed by the laws named below."),
)
LAWS = ("State of Delaware", "State of New York", "England and Wales", "Ontario")


def _date(base_ms: int, days_back: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(base_ms // 1000 - days_back * 86400))


def _money(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 2)


def _row(kind: str, rng: random.Random, base_ms: int, i: int) -> JsonObj:
    if kind == "invoice":
        qty = rng.randint(1, 40)
        price = _money(rng, 4, 900)
        return {
            "description": rng.choice(PRODUCTS),
            "quantity": qty,
            "unit_price": price,
            "amount": round(qty * price, 2),
        }
    if kind == "receipt":
        return {
            "name": rng.choice(GROCERIES),
            "qty": rng.randint(1, 4),
            "price": _money(rng, 1, 30),
        }
    if kind == "contract":
        heading, summary = CLAUSES[i % len(CLAUSES)]
        return {"heading": f"{i + 1}. {heading}", "summary": summary}
    start = 2008 + rng.randint(0, 14)
    return {
        "company": rng.choice(COMPANIES),
        "title": rng.choice(TITLES),
        "start_date": f"{start}-{rng.randint(1, 12):02d}",
        "end_date": None if i == 0 else f"{start + rng.randint(1, 4)}-{rng.randint(1, 12):02d}",
    }


def rows(kind: str, rng: random.Random, base_ms: int, n: int) -> list[JsonObj]:
    return [_row(kind, rng, base_ms, i) for i in range(n)]


def document(kind: str, rng: random.Random, base_ms: int, n_rows: int) -> JsonObj:
    """A per_doc result conforming to SCHEMAS[kind]."""
    items = rows(kind, rng, base_ms, n_rows)
    if kind == "invoice":
        subtotal = round(sum(r["amount"] for r in items), 2)
        tax = round(subtotal * rng.choice((0.0, 0.07, 0.19, 0.2)), 2)
        age = rng.randint(1, 60)
        return {
            "invoice_number": f"INV-{rng.randint(1000, 99999)}",
            "vendor_name": rng.choice(COMPANIES),
            "invoice_date": _date(base_ms, age),
            "due_date": _date(base_ms, age - 30),
            "currency": rng.choice(("USD", "USD", "EUR", "GBP", "CAD")),
            "line_items": items,
            "subtotal": subtotal,
            "tax": tax,
            "total": round(subtotal + tax, 2),
        }
    if kind == "receipt":
        sub = sum(r["price"] * r["qty"] for r in items)
        tax = round(sub * 0.08, 2)
        return {
            "merchant": rng.choice(MERCHANTS),
            "date": _date(base_ms, rng.randint(0, 20)),
            "time": f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}",
            "payment_method": rng.choice(("card", "card", "cash", "apple_pay")),
            "items": items,
            "tax": tax,
            "total": round(sub + tax, 2),
        }
    if kind == "contract":
        a, b = rng.sample(COMPANIES, 2)
        return {
            "title": rng.choice(("Master Services Agreement", "Mutual NDA", "Supply Agreement")),
            "parties": [{"name": a, "role": "Provider"}, {"name": b, "role": "Customer"}],
            "effective_date": _date(base_ms, rng.randint(5, 400)),
            "termination_date": None if rng.random() < 0.5 else _date(base_ms, -365),
            "governing_law": rng.choice(LAWS),
            "auto_renewal": rng.random() < 0.6,
            "payment_terms": rng.choice(("Net 30", "Net 45", "Net 60", "Due on receipt")),
            "clauses": items,
        }
    name = rng.choice(PEOPLE)
    return {
        "full_name": name,
        "email": name.lower().replace(" ", ".") + "@example.com",
        "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        "location": rng.choice(CITIES),
        "years_experience": rng.randint(1, 25),
        "skills": rng.sample(SKILLS, rng.randint(2, 5)),
        "experience": items,
        "education": [
            {"institution": "State University", "degree": "BSc", "year": 2000 + rng.randint(0, 20)}
        ],
    }


def page_results(kind: str, rng: random.Random, base_ms: int, pages: int) -> list[JsonObj]:
    """A per_page result: one object per page, later pages sparser."""
    out = []
    for p in range(pages):
        doc = document(kind, rng, base_ms, rng.randint(0, 3))
        if p:
            for key in list(doc)[:2]:
                doc[key] = None
        out.append(doc)
    return out
