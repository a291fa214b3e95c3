"""Fake Slack fixtures (filled in by the fake Slack work)."""
