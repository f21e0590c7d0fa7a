"""The cloud ingest (runs in the cloud, not on the box): stores each session summary the boxes publish,
exactly once. `consumer` is the MQTT worker, `messages` checks one message against the wire contract
(`sync.wire`), `storage` writes to SQLite or PostgreSQL, `cli` is `axolotl-ingest`."""
