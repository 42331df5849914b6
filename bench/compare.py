"""Markdown tables comparing two `make bench` results (e.g. before and after a change).

python -m bench.compare BEFORE.json AFTER.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

NAN = float("nan")


def _cell(target: dict[str, Any] | None) -> str:
    if target is None:
        return " | ".join("-" * 6)
    if target["rps"] == 0:  # nothing answered within the run
        return f"0 | - | {target['errors']} | 0 | 0 | -"
    return (
        f"{target['rps']:,.0f} | {target['p50_ms']:.1f} / {target['p99_ms']:.1f} | "
        f"{target['errors']} | {target.get('x_f2', NAN):.2f} | {target.get('x_f1', NAN):.2f} | "
        f"{target['cpu_ms_per_request']:.2f}"
    )


def comparison(before: dict[str, Any], after: dict[str, Any], mode: str) -> str:
    lines = [
        "| target | run | req/s | p50 / p99 ms | errors | x F2 | x F1 | CPU ms/req |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    old = before.get(mode, {}).get("targets", {})
    new = after.get(mode, {}).get("targets", {})
    for key in dict.fromkeys([*new, *old]):
        label = (new.get(key) or old[key])["label"]
        lines.append(f"| {label} | before | {_cell(old.get(key))} |")
        lines.append(f"| | after | {_cell(new.get(key))} |")
    return "\n".join(lines)


def summary(results: dict[str, Any]) -> str:
    cs = results["cold_start"]
    rss = results["small"]["rss_mb"]
    parts = [
        f"cold start {cs['movie_service_ratio']:.2f}x / {cs['customer_service_ratio']:.2f}x "
        f"the bare framework import ({cs['framework_import_s']:.2f} s)",
        "RSS after load " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()),
    ]
    if "scale_p99_ratio" in results:
        ratios = results["scale_p99_ratio"]
        parts.append(
            "p99 at 100,000 movies / at the seed: "
            + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items() if k not in ("f1", "f2"))
        )
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    before, after = (json.loads(p.read_text()) for p in (args.before, args.after))
    for mode, title in (("small", "seed catalogue (22 movies)"), ("scale", "100,000 movies")):
        print(f"#### {title}\n\n{comparison(before, after, mode)}\n")
    print(f"before: {summary(before)}\n\nafter: {summary(after)}")


if __name__ == "__main__":
    main()
