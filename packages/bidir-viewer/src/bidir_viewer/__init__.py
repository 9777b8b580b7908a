"""bidir-viewer: replays bidir checkpoints: the body, muscles coloured by activation, ghosts of the PD
target and the reference, live plots, and headless screenshots and videos. ``bidir-viewer --help``."""

__version__ = "0.1.0"
