"""How long a campaign preview takes: contacts parsed, every message rendered and counted.

Runs `parse_contacts` + `plan_campaign` on 1,000 / 10,000 / 100,000 personalised contacts
(Ivorian numbers typed in the usual ways, a name field, a French `{{name}}` template) and, side
by side, the naive way: every number through phonenumbers.parse / is_valid_number /
format_number, then the same planning. Reports the median of a few runs, the ratio, and the
peak memory of the fast path (tracemalloc, in a separate untimed run).

    .venv/bin/python -m bench.bench_preview [--sizes 1000,10000,100000] [--runs 3] [--json PATH]

Targets for 100,000 contacts: under 0.5 s, under 200 MB peak, at least 4x faster than naive.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from letexto_mcp.sms.campaign import CampaignPlan, plan_campaign
from letexto_mcp.sms.contacts import Contact, parse_contacts

TEMPLATE = (
    "Bonjour {{name}}, votre colis est arrivé à l'agence de Cocody. Présentez-vous avant 18h avec "
    "une pièce d'identité. Merci !"
)
FIRST_NAMES = [
    "Awa",
    "Koffi",
    "Aya",
    "Yao",
    "Mariam",
    "Kouassi",
    "Adjoua",
    "Moussa",
    "Fatou",
    "Gaëlle",
    "Chloé",
]
LAST_NAMES = ["Koné", "Traoré", "Kouamé", "Ouattara", "Bamba", "Yao", "Diabaté", "N'Guessan", "Coulibaly"]
FORMATS: list[Callable[[str], str]] = [
    lambda n: n,
    lambda n: " ".join(n[i : i + 2] for i in range(0, 10, 2)),
    lambda n: "+225 " + "-".join(n[i : i + 2] for i in range(0, 10, 2)),
    lambda n: "+225" + n,
    lambda n: "00225 " + n,
    lambda n: "225" + n,
    lambda n: ".".join(n[i : i + 2] for i in range(0, 10, 2)),
    lambda n: "(" + n[:2] + ") " + n[2:],
]


def build_items(count: int, seed: int = 225) -> list[dict[str, object]]:
    """`count` contacts as an automation platform would send them (a few duplicates included)."""
    rng = random.Random(seed)
    items: list[dict[str, object]] = []
    for _ in range(count):
        national = rng.choice(["01", "05", "07"]) + f"{rng.randrange(10**8):08d}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        items.append({"phone": rng.choice(FORMATS)(national), "name": name})
    return items


def fast_preview(items: Sequence[Mapping[str, object]]) -> CampaignPlan:
    return plan_campaign(TEMPLATE, parse_contacts(items).contacts)


def naive_preview(items: Sequence[Mapping[str, object]]) -> CampaignPlan:
    """Every number through phonenumbers, as one would write it first; the planning is the same."""
    import phonenumbers

    contacts: list[Contact] = []
    seen: set[str] = set()
    for item in items:
        try:
            parsed = phonenumbers.parse(str(item["phone"]), "CI")
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(parsed):
            continue
        digits = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
        if digits in seen:
            continue
        seen.add(digits)
        contacts.append(Contact(digits, {k: str(v) for k, v in item.items() if k != "phone"}))
    return plan_campaign(TEMPLATE, contacts)


def timed(
    function: Callable[[Sequence[Mapping[str, object]]], CampaignPlan], items: list[Any], runs: int
) -> float:
    """Median wall time of `runs` calls (a collection first, so runs start alike)."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        function(items)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory(items: list[Any]) -> float:
    """Peak bytes allocated by one fast preview (inputs already built), in MB."""
    gc.collect()
    tracemalloc.start()
    fast_preview(items)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated contact counts")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per size (median reported)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]

    import phonenumbers  # imported once up front so that neither side pays for it in a run

    fast_preview(build_items(100))
    naive_preview(build_items(100))
    rows = []
    for size in sizes:
        items = build_items(size)
        plan = fast_preview(items)
        assert plan == naive_preview(items), "the fast and naive previews disagree"
        fast = timed(fast_preview, items, args.runs)
        naive = timed(naive_preview, items, max(1, min(args.runs, 3)))
        rows.append(
            {
                "contacts": size,
                "messages": plan.messages,
                "total_parts": plan.total_parts,
                "fast_s": round(fast, 4),
                "naive_s": round(naive, 4),
                "ratio": round(naive / fast, 1),
                "fast_us_per_contact": round(fast / size * 1e6, 2),
                "peak_mb": round(peak_memory(items), 1),
            }
        )
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"campaign preview (parse_contacts + plan_campaign), median of {args.runs} runs")
    print("naive: every number through phonenumbers.parse / is_valid_number / format_number")
    header = ("contacts", "messages", "parts", "fast s", "naive s", "ratio", "µs/contact", "peak MB")
    print(" ".join(f"{title:>10}" for title in header))
    for row in rows:
        cells = (
            f"{row['contacts']:,}",
            f"{row['messages']:,}",
            f"{row['total_parts']:,}",
            f"{row['fast_s']:.3f}",
            f"{row['naive_s']:.3f}",
            f"{row['ratio']:.1f}x",
            f"{row['fast_us_per_contact']:.2f}",
            f"{row['peak_mb']:.1f}",
        )
        print(" ".join(f"{cell:>10}" for cell in cells))
    print(f"process max RSS {maxrss_mb:.0f} MB (inputs and both paths included)")
    if args.json:
        figures = {
            "benchmark": "bench_preview",
            "python": platform.python_version(),
            "phonenumbers": phonenumbers.__version__,
            "runs": args.runs,
            "rows": rows,
            "max_rss_mb": round(maxrss_mb, 1),
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
