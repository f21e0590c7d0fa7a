"""One module per screen; each takes the shared `Kiosk` context and only watches it."""
