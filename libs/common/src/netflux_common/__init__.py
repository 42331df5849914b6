"""Code both Netflux services share; anything service-specific belongs in the service."""
