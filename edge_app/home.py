"""Where the box keeps its data: the data folder, its database and its config file (a base module: the
stages below the config need the folder too)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """`AXOLOTL_EDGE_HOME`, else $XDG_DATA_HOME/axolotl-edge (~/.local/share/axolotl-edge)."""
    env = os.environ.get("AXOLOTL_EDGE_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "axolotl-edge"


def default_db_path() -> Path:
    return data_dir() / "axolotl.db"


def default_config_path() -> Path:
    return data_dir() / "config.toml"
