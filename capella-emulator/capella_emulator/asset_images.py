"""Small real images the emulator serves: PNG thumbnails and GeoTIFF previews, generated from an item id.

Both are valid files a reader opens (PNG signature and CRC'd chunks; a baseline little-endian TIFF with
the GeoTIFF tags that place it on the item's bounding box in EPSG:4326).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIFF_MAGIC = b"II*\x00"


def _gradient_rows(item_id: str, pixels: int) -> list[bytes]:
    """Rows of a diagonal 8-bit gradient whose phase and slope come from the id."""
    digest = hashlib.sha256(item_id.encode()).digest()
    phase, slope = digest[0], 1 + digest[1] % 7
    ramp = bytes(range(256)) * (pixels // 256 + 2)
    return [ramp[(phase + y * slope) % 256 :][:pixels] for y in range(pixels)]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@lru_cache(maxsize=64)
def png_image(item_id: str, pixels: int) -> bytes:
    """Return a square 8-bit grayscale PNG: a diagonal gradient whose phase and slope come from the id."""
    rows = [b"\x00" + row for row in _gradient_rows(item_id, pixels)]
    header = struct.pack(">IIBBBBB", pixels, pixels, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _png_chunk(b"IEND", b"")
    )


@lru_cache(maxsize=64)
def geotiff_image(item_id: str, pixels: int, bbox: tuple[float, float, float, float]) -> bytes:
    """Build a square 8-bit grayscale GeoTIFF (uncompressed, one strip) spanning ``bbox`` in EPSG:4326."""
    data = b"".join(_gradient_rows(item_id, pixels))
    min_lon, min_lat, max_lon, max_lat = bbox
    scale = struct.pack("<3d", (max_lon - min_lon) / pixels, (max_lat - min_lat) / pixels, 0.0)
    tiepoint = struct.pack("<6d", 0.0, 0.0, 0.0, min_lon, max_lat, 0.0)
    # GeoKeyDirectory: version 1.1.0, 3 keys: raster is area, geographic model, WGS 84.
    geokeys = struct.pack("<16H", 1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326)
    extra = [(33550, 12, scale), (33922, 12, tiepoint), (34735, 3, geokeys)]
    entry_count = 10 + len(extra)
    ifd_size = 2 + entry_count * 12 + 4
    data_offset = 8 + ifd_size
    blobs_offset = data_offset + len(data)
    entries = [
        (256, 3, 1, pixels),  # ImageWidth
        (257, 3, 1, pixels),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, data_offset),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 3, 1, pixels),  # RowsPerStrip
        (279, 4, 1, len(data)),  # StripByteCounts
        (284, 3, 1, 1),  # PlanarConfiguration
    ]
    blobs = b""
    for tag, kind, blob in extra:
        size = 8 if kind == 12 else 2
        entries.append((tag, kind, len(blob) // size, blobs_offset + len(blobs)))
        blobs += blob
    ifd = struct.pack("<H", entry_count)
    for tag, kind, count, value in sorted(entries):
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 and count == 1 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    return TIFF_MAGIC + struct.pack("<I", 8) + ifd + data + blobs
