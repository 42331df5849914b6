"""customer-service: Netflux customers and their recommendations."""
