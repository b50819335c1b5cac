"""Utilities under everything: errors, input validation, atomic writes, timers, the environment."""
