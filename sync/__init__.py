"""The box's border (issue #5): the MQTT uplink (`sync.uplink`) drains the store's outbox to the cloud,
whose ingest (the `cloud_ingest` package) stores each message exactly once; the wire contract they share
is `sync.wire`. Pairing (`sync.pairing`, `sync.tls`, `sync.join`), the local API (`sync.api`) and
zeroconf (`sync.discovery`) let a phone find and drive the box. See ARCHITECTURE §3."""
