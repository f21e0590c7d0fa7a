"""The session store: one SQLite file (WAL) holding every analysed session.

`SessionStore` is assembled from one module per job over one connection layer:

- `connection`: opening (path and version checks, migrations, WAL), recovering sessions left
  `running` by a dead process, the shared connection and its lock, transactions, ids, `meta`;
- `migrations`: the schema, as frozen migration steps (the shape of the data is described there);
- `sqlite_errors`: SQLite errors a user can fix, as one-line `AxolotlError`s;
- `process`: is the process that wrote a `running` session alive;
- `records`: JSON columns, float32 blobs, the read-back types;
- `writer`: the frame buffer and the writer thread;
- `sessions`, `outbox`, `export`, `players`: the jobs;
- `device`: the device id, read without opening a store.

Every database problem a user can fix (locked, read-only, not a database, corrupt, disk
full, written by a newer version) surfaces as a one-line `AxolotlError`.
"""

from edge_app.store.device import ensure_device_id, read_device_id
from edge_app.store.export import CSV_COLUMNS, EXPORT_SCHEMA
from edge_app.store.migrations import MIGRATIONS, schema_version
from edge_app.store.outbox import OUTBOX_STATES
from edge_app.store.records import StoredFrame, StoredPose
from edge_app.store.session_store import SessionStore
from edge_app.store.sessions import STATUSES
from edge_app.store.sqlite_errors import DB_FIX

__all__ = [
    "CSV_COLUMNS",
    "DB_FIX",
    "EXPORT_SCHEMA",
    "MIGRATIONS",
    "OUTBOX_STATES",
    "STATUSES",
    "SessionStore",
    "StoredFrame",
    "StoredPose",
    "ensure_device_id",
    "read_device_id",
    "schema_version",
]
