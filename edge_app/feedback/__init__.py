"""Coaching feedback: insights from a session summary, the drill library, and the debrief built from them."""
