"""Check-in photos: accept a JPEG or PNG of at most 5 MB and strip what could identify where
or when it was taken.

Pure on purpose: bytes in, bytes out, no Django. The type is decided by the file's own first
bytes (its "magic"), never by its name or the browser's content type; the structure is walked
to the end, so a truncated or disguised file is refused. Metadata goes (EXIF with GPS and
camera serials, XMP, IPTC, comments, PNG text chunks); a JPEG keeps its orientation so the
photo still shows the right way up.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

MAX_BYTES: Final = 5 * 1024 * 1024

TOO_BIG: Final = "The photo is larger than 5 MB. Choose a smaller photo, or leave it out."
NOT_IMAGE: Final = "This file is not a photo we can accept. Choose a JPEG or PNG image."
DAMAGED: Final = "This photo file seems damaged. Take the photo again, or leave it out."

_JPEG_SOI: Final = b"\xff\xd8"
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
# JPEG segments kept: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour transform)
# and every non-APP, non-comment marker. Everything else in APP1–APP15 and COM goes.
_KEEP_APP: Final = {0xE0, 0xE2, 0xEE}
_PNG_DROP: Final = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}
_ORIENTATION_TAG: Final = 0x0112


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message is for the patient."""


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    extension: str
    content_type: str


def clean(data: bytes) -> CleanPhoto:
    """Validate and strip a photo. Raises PhotoRejected with a message for the patient."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected(TOO_BIG)
    if data.startswith(_JPEG_SOI + b"\xff"):
        return CleanPhoto(_clean_jpeg(data), "jpg", "image/jpeg")
    if data.startswith(_PNG_SIGNATURE):
        return CleanPhoto(_clean_png(data), "png", "image/png")
    raise PhotoRejected(NOT_IMAGE)


# --- JPEG ---------------------------------------------------------------------------------


def _clean_jpeg(data: bytes) -> bytes:
    out = bytearray(_JPEG_SOI)
    orientation: int | None = None
    i = 2
    while True:
        if i >= len(data) or data[i] != 0xFF:
            raise PhotoRejected(DAMAGED)
        while i < len(data) and data[i] == 0xFF:  # fill bytes before a marker
            i += 1
        if i >= len(data):
            raise PhotoRejected(DAMAGED)
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI before any image data
            raise PhotoRejected(DAMAGED)
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            out += bytes((0xFF, marker))
            continue
        if i + 2 > len(data):
            raise PhotoRejected(DAMAGED)
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2 or i + length > len(data):
            raise PhotoRejected(DAMAGED)
        segment = data[i + 2 : i + length]
        if marker == 0xDA:  # start of scan: the compressed image follows to the end
            if b"\xff\xd9" not in data[i + length :]:
                raise PhotoRejected(DAMAGED)
            if orientation and orientation != 1:
                out[2:2] = _exif_orientation_segment(orientation)
            out += bytes((0xFF, marker)) + data[i : i + length] + data[i + length :]
            return bytes(out)
        if marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
            orientation = _read_orientation(segment[6:]) or orientation
        keep = not (0xE1 <= marker <= 0xEF or marker == 0xFE) or marker in _KEEP_APP
        if keep:
            out += bytes((0xFF, marker)) + data[i : i + length]
        i += length


def _read_orientation(tiff: bytes) -> int | None:
    """The EXIF orientation (1–8) from a TIFF block, or None when absent or unreadable."""
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (offset,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
        for n in range(count):
            entry = tiff[offset + 2 + 12 * n : offset + 14 + 12 * n]
            tag, kind, _count = struct.unpack(order + "HHI", entry[:8])
            if tag == _ORIENTATION_TAG and kind == 3:
                (value,) = struct.unpack(order + "H", entry[8:10])
                return value if 1 <= value <= 8 else None
    except (KeyError, struct.error):
        return None
    return None


def _exif_orientation_segment(orientation: int) -> bytes:
    """A minimal APP1 EXIF segment that holds the orientation and nothing else."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    tiff += struct.pack(">H", 1) + struct.pack(">HHIHH", _ORIENTATION_TAG, 3, 1, orientation, 0)
    tiff += struct.pack(">I", 0)
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


# --- PNG ----------------------------------------------------------------------------------


def _clean_png(data: bytes) -> bytes:
    out = bytearray(_PNG_SIGNATURE)
    i = len(_PNG_SIGNATURE)
    first = True
    while i + 12 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data) or not kind.isalpha():
            raise PhotoRejected(DAMAGED)
        if first and kind != b"IHDR":
            raise PhotoRejected(DAMAGED)
        first = False
        if kind not in _PNG_DROP:
            out += data[i:end]
        if kind == b"IEND":
            return bytes(out)
        i = end
    raise PhotoRejected(DAMAGED)
