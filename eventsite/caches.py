"""Where eventsite keeps what it may reuse between builds (compiled templates, media).

`$EVENTSITE_CACHE_DIR`, else `$XDG_CACHE_HOME/eventsite`, else `~/.cache/eventsite`. A cache is
only ever an optimisation: when the folder cannot be made, builds run without it.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_VARIABLE = "EVENTSITE_CACHE_DIR"


def cache_root() -> Path:
    explicit = os.environ.get(CACHE_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "eventsite"


def cache_folder(name: str) -> Path | None:
    """A private folder of the cache for one kind of thing, or None when it cannot be made."""
    folder = cache_root() / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
