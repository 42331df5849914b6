"""`make bench`: the services against the physical floors F1 and F2, on loopback, in one run."""
