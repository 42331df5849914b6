"""Test support for `netflux_infra`, kept out of the shipped package.

A workspace member of its own (not a folder under infra/tests) because it is more than test
helpers: `make rehearse` runs it as `python -m netflux_infra_testing.rehearsal`, the rehearsal
starts its moto server and its synthesis as `python -m` subprocesses, and the tests import it
under pytest's importlib mode, which puts no test folder on `sys.path`. Installed, it is
importable from all of them; `netflux_infra` never imports it.
"""
