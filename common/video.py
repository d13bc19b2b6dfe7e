"""MP4 output for ``--video`` (imageio with the ffmpeg binary that imageio-ffmpeg ships)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_mp4(path: Path, frames: list[np.ndarray], fps: int = 15) -> Path:
    """frames: [T] of [H, W, 3] uint8. Atari's 210x160 is upscaled 2x (codecs want even sizes)."""
    import imageio.v2 as imageio

    with imageio.get_writer(path, fps=fps, codec="libx264", quality=7, macro_block_size=1) as writer:
        for frame in frames:
            writer.append_data(np.repeat(np.repeat(frame, 2, axis=0), 2, axis=1))
    return path
