"""The demo site's avatar files: a symmetric 5x5 pattern per user, as a PNG, made on request.

The demo users' avatars are "uploaded" files (`avatars/<id>.png`, `profiles/<id>-<key>.png`);
the demo serves them itself, so the demo page shows pictures without any other host.
"""

from __future__ import annotations

import colorsys
import hashlib
import struct
import zlib

__all__ = ["avatar_png"]

_GRID = 5
_CELL = 16
_MARGIN = 16
_SIZE = _GRID * _CELL + 2 * _MARGIN
_BACKGROUND = bytes((240, 242, 245))


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def avatar_png(seed: str) -> bytes:
    """A deterministic PNG avatar for `seed` (the same seed, the same bytes)."""
    digest = hashlib.sha256(seed.encode()).digest()
    # A saturated colour from the digest, kept dark enough to stand out on the light ground.
    colour = bytes(round(c * 255) for c in colorsys.hsv_to_rgb(digest[0] / 255, 0.65, 200 / 255))
    half = (_GRID + 1) // 2
    blank = b"\x00" + _BACKGROUND * _SIZE  # each row starts with its filter: none
    margin = _BACKGROUND * _MARGIN
    rows = [blank] * _MARGIN
    for row in range(_GRID):
        drawn = [bool(digest[1 + row * half + col] & 1) for col in range(half)]
        cells = (colour if on else _BACKGROUND for on in drawn + drawn[-2::-1])  # mirrored
        rows += [b"\x00" + margin + b"".join(c * _CELL for c in cells) + margin] * _CELL
    rows += [blank] * _MARGIN
    header = struct.pack(">IIBBBBB", _SIZE, _SIZE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
