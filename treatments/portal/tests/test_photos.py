"""Check-in photos: JPEG or PNG by their own bytes, at most 5 MB, metadata stripped."""

import pytest

from treatments.portal import photos

from .helpers import tiny_jpeg, tiny_png


def test_a_jpeg_loses_its_exif_and_comment_but_keeps_its_orientation():
    cleaned = photos.clean(tiny_jpeg())
    assert cleaned.content_type == "image/jpeg" and cleaned.extension == "jpg"
    assert b"GPS-SECRET" not in cleaned.data
    assert b"Camera SN" not in cleaned.data
    assert photos._read_orientation(cleaned.data[cleaned.data.index(b"Exif") + 6 :]) == 6
    assert cleaned.data.endswith(b"\xff\xd9")


def test_a_jpeg_without_exif_gets_none_added():
    assert b"Exif" not in photos.clean(tiny_jpeg(with_exif=False)).data


def test_a_png_loses_its_text_chunks():
    cleaned = photos.clean(tiny_png())
    assert cleaned.content_type == "image/png"
    assert b"Home address" not in cleaned.data
    assert cleaned.data.endswith(b"IEND\xaeB`\x82")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not a photo",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"GIF89a....",
        b"",
        b"MZ\x90\x00 an executable",
    ],
)
def test_anything_but_a_jpeg_or_png_is_refused(data):
    with pytest.raises(photos.PhotoRejected, match="JPEG or PNG"):
        photos.clean(data)


@pytest.mark.parametrize(
    "data",
    [
        tiny_jpeg()[:40],  # cut off before the image data
        b"\xff\xd8\xff\xe0\xff\xff",  # a segment longer than the file
        tiny_png()[:30],
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x00IEND\xaeB`\x82",  # no IHDR first
    ],
)
def test_a_damaged_or_disguised_file_is_refused(data):
    with pytest.raises(photos.PhotoRejected, match="damaged"):
        photos.clean(data)


def test_a_photo_over_5_mb_is_refused():
    big = tiny_jpeg() + b"\x00" * photos.MAX_BYTES
    with pytest.raises(photos.PhotoRejected, match="larger than 5 MB"):
        photos.clean(big)
