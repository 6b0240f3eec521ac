"""Learning: models, losses and the generic training loop (placeholder; filled by later issues)."""
