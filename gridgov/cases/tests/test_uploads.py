"""Photos lose their metadata; oversized images and lying files are refused."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridgov.cases.uploads import check_uploads


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (21.0, 40.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_phone_photo_is_stored_without_its_exif():
    raw = jpeg_with_gps()
    assert b"PhoneMaker" in raw
    [(stored, extension, content_type)] = check_uploads([SimpleUploadedFile("a.jpg", raw)])
    data = stored.read()
    assert (extension, content_type) == ("jpg", "image/jpeg")
    assert b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (64, 48) and not image.getexif()


def test_an_image_of_too_many_pixels_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")
    assert len(out.getvalue()) < 100_000  # small on disk, 81 MP when decoded
    with pytest.raises(ValidationError) as error:
        check_uploads([SimpleUploadedFile("big.png", out.getvalue())])
    assert "像素" in str(error.value)


def test_a_program_renamed_as_a_photo_is_refused():
    with pytest.raises(ValidationError) as error:
        check_uploads([SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200)])
    assert "JPEG" in str(error.value)
