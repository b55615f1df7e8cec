"""Decodes a PNG written by `grpo plot` (Pillow) and checks its size and that each of its panels
has curves drawn in it (coloured pixels: the run colours; grid, text and frame are grey).
Usage: check_plot.py FILE.png WIDTH HEIGHT PANELS"""
import sys

import numpy as np
from PIL import Image

PANEL_W, PANEL_H, HEADER, COLUMNS = 420, 280, 40, 3


def main():
    path, width, height, panels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    image = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert image.shape == (height, width, 3), f"{path}: size {image.shape[1]}x{image.shape[0]}, want {width}x{height}"
    coloured = (image.max(axis=2) - image.min(axis=2)) > 60
    columns = min(COLUMNS, panels)
    for p in range(panels):
        x0, y0 = (p % columns) * PANEL_W, HEADER + (p // columns) * PANEL_H
        # The plot area, inside the axes' margins.
        area = coloured[y0 + 30:y0 + PANEL_H - 36, x0 + 64:x0 + PANEL_W - 16]
        assert area.sum() >= 20, f"{path}: panel {p} is blank ({area.sum()} coloured pixels)"
    print(f"{path}: {width}x{height}, {panels} panels with curves")


if __name__ == "__main__":
    main()
