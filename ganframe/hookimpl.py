"""The marker plugins use to implement ganframe hooks: ``@ganframe.hookimpl``."""

import pluggy

hookimpl = pluggy.HookimplMarker("ganframe")
