"""The moto server for rehearsals, with the compatibility shims registered in its process.

python -m netflux_infra_testing.rehearsal.server --port 5000
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

from netflux_infra_testing.rehearsal.shims import apply_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # Attaching AWS managed policies (ECS task execution, RDS monitoring) needs them loaded.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    shims = apply_all()

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    print(f"moto ready on 127.0.0.1:{args.port} with shims: {', '.join(shims)}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
