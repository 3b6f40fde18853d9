"""Exchange with other systems: a placeholder so the layer contract resolves."""
