"""Deploy rehearsal against a local AWS emulator (moto): test support, never part of a stack."""
