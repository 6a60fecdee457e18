"""Benchmark of the credit note PDF extraction (no Odoo needed).

Usage: python3 bench/bench_pdf.py

Median time of a one-page credit note (in process, and in the isolated child
process the Odoo upload uses), rejection time of a 500-page PDF, peak memory,
and the accuracy of each field over the generated corpus.
"""

import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billabex_credits.services.credit_note_extract import (
    DETECTED_FIELDS,
    extract,
    extract_isolated,
)
from billabex_credits.tests import pdf_corpus as corpus

FIELDS = DETECTED_FIELDS


def timed(func, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def accuracy():
    hits, totals = defaultdict(int), defaultdict(int)
    for name, (generate, expected) in corpus.CASES.items():
        if "error" in expected:
            continue
        result = extract(generate(), name, corpus.OWN_VAT, corpus.OWN_SIREN).cli_dict()
        for field in FIELDS:
            if field not in expected:
                continue
            totals[field] += 1
            if field == "customer":
                wanted = expected["customer"]
                ok = all(result["customer"][key] == wanted[key] for key in wanted["via"])
            else:
                ok = result[field] == expected[field]
            hits[field] += ok
    return {field: f"{hits[field]}/{totals[field]}" for field in FIELDS if totals[field]}


def main():
    one_page, facturx = corpus.case_1(), corpus.case_7()
    extract(one_page, "warm-up")
    in_process = timed(lambda: extract(one_page), 30)
    isolated = timed(lambda: extract_isolated(one_page), 5)
    facturx_time = timed(lambda: extract(facturx), 30)
    results = {
        "one-page credit note, in process (median of 30)": f"{in_process * 1000:.0f} ms",
        "same, isolated child process as in Odoo (median of 5)": f"{isolated * 1000:.0f} ms",
        "Factur-X credit note, in process (median of 30)": f"{facturx_time * 1000:.0f} ms",
    }
    big = corpus.many_pages(500)
    start = time.perf_counter()
    error = extract(big, "500-pages.pdf").error
    results["500-page PDF rejected (" + error + ")"] = (
        f"{(time.perf_counter() - start) * 1000:.0f} ms"
    )
    results["peak RSS of the process"] = (
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    for field, score in accuracy().items():
        results[f"accuracy: {field}"] = score
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
