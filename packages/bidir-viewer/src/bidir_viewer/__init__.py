"""bidir-viewer: replays bidir checkpoints (skeleton, muscles by activation, plots, video).

Not yet implemented: tracked by the viewer issue, after the trainer writes checkpoints. This package
exists so the repository layout and installs are final.
"""

__version__ = "0.1.0"
