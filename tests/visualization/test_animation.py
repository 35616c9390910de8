"""GIF and PNG writers: files decodable with Pillow, frame count and timing kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from occlunet.visualization import write_gif, write_png


def test_gif_frames_and_loop(tmp_path):
    frames = np.zeros((5, 16, 20, 3), np.uint8)
    for t in range(5):
        frames[t, :, : 4 * (t + 1)] = 200  # every frame differs
    path = write_gif(frames, tmp_path / 'sub' / 'seq.gif', fps=4)
    with Image.open(path) as gif:
        assert gif.n_frames == 5 and gif.size == (20, 16)
        assert gif.info['loop'] == 0 and gif.info['duration'] == 250
        gif.seek(2)
        assert np.asarray(gif.convert('L'))[0, 11] > 150 and np.asarray(gif.convert('L'))[0, 13] < 50


def test_gif_grey_frames(tmp_path):
    frames = np.stack([np.full((8, 8), 40 * t, np.uint8) for t in range(3)])
    with Image.open(write_gif(frames, tmp_path / 'grey.gif')) as gif:
        assert gif.n_frames == 3


def test_png_roundtrip(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (12, 9, 3), dtype=np.uint8)
    with Image.open(write_png(img, tmp_path / 'a.png')) as png:
        np.testing.assert_array_equal(np.asarray(png), img)


def test_writers_refuse_floats(tmp_path):
    with pytest.raises(ValueError, match='uint8'):
        write_gif(np.zeros((2, 4, 4), np.float32), tmp_path / 'x.gif')
    with pytest.raises(ValueError, match='uint8'):
        write_png(np.zeros((4, 4), np.float32), tmp_path / 'x.png')
