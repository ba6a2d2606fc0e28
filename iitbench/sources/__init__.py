"""Question sources: synth and hf."""
