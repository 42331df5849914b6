"""`python -m netflux_catalogue names`: the service names, one a line (for make and shell)."""

from __future__ import annotations

import sys

from netflux_catalogue.catalogue import SERVICES


def main(argv: list[str]) -> int:
    if argv != ["names"]:
        print("usage: python -m netflux_catalogue names", file=sys.stderr)
        return 2
    print("\n".join(s.name for s in SERVICES))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
