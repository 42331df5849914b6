"""movie-service: the Netflux movie catalogue."""
