"""The default plugins of the core: each module here is registered like any installed plugin."""
