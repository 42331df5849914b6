"""Developer tooling for Netflux: never shipped in a service image."""
