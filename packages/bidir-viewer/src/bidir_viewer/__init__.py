"""bidir-viewer: replays bidir checkpoints: the body, muscles coloured by activation, ghosts of the PD
target and the reference, live plots, and headless screenshots and videos. ``bidir-viewer --help``."""

from importlib.metadata import version as _version

__version__ = _version("bidir-viewer")  # from pyproject.toml, the one place it is written
