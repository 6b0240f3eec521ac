"""PDE problems: residuals and reference solutions (placeholder; filled by later issues)."""
