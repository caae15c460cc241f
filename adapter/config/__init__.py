"""Configuration: the models (one module per area), their sources and the YAML loader.

What each setting means is said once, in config.yaml (the annotated reference); a comment in a
model says only what a reader of the code needs beyond it. Import from `adapter.config`, which
re-exports each module's `__all__` (as asyncio does).
"""

from __future__ import annotations

from adapter.config import (
    base,
    cache,
    chat,
    feed,
    frontend,
    loader,
    mapping,
    running,
    samples,
    settings,
    sources,
    upstream,
)
from adapter.config.base import *  # noqa: F403
from adapter.config.cache import *  # noqa: F403
from adapter.config.chat import *  # noqa: F403
from adapter.config.feed import *  # noqa: F403
from adapter.config.frontend import *  # noqa: F403
from adapter.config.loader import *  # noqa: F403
from adapter.config.mapping import *  # noqa: F403
from adapter.config.running import *  # noqa: F403
from adapter.config.samples import *  # noqa: F403
from adapter.config.settings import *  # noqa: F403
from adapter.config.sources import *  # noqa: F403
from adapter.config.upstream import *  # noqa: F403

__all__: list[str] = []
__all__ += base.__all__
__all__ += cache.__all__
__all__ += chat.__all__
__all__ += feed.__all__
__all__ += frontend.__all__
__all__ += loader.__all__
__all__ += mapping.__all__
__all__ += running.__all__
__all__ += samples.__all__
__all__ += settings.__all__
__all__ += sources.__all__
__all__ += upstream.__all__
