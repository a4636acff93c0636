"""Attachments of cases: photos (JPEG, PNG, WebP) and PDF documents, checked by content.

The name and the declared type of an upload are not trusted: an image must open and
verify with Pillow, a PDF must start with ``%PDF-`` and end with ``%%EOF``. The stored
name says what the bytes are.
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
IMAGE_FORMATS["WEBP"] = ("webp", "image/webp")
# Larger photos are refused: decoding one would take gigabytes (a few KB of PNG can
# declare 20,000 × 20,000 pixels). 40 MP is more than any phone camera takes.
MAX_PIXELS = 40_000_000


def max_bytes() -> int:
    return getattr(settings, "CASE_ATTACHMENT_MAX_MB", 10) * 1024 * 1024


def max_files() -> int:
    return getattr(settings, "CASE_ATTACHMENT_MAX_FILES", 9)


def check_upload(upload) -> tuple[str, str]:
    """(extension, content type) of an acceptable upload, or a Chinese ValidationError."""
    limit = max_bytes()
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("附件不能超过 %(mb)d MB") % {"mb": limit // (1024 * 1024)}, code="too_large"
        )
    if upload.size == 0:
        raise ValidationError(_("附件是空文件"), code="empty")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        upload.seek(max(0, upload.size - 1024))
        tail = upload.read()
        upload.seek(0)
        if b"%%EOF" not in tail:
            raise ValidationError(_("PDF 文件不完整或已损坏"), code="bad_pdf")
        return "pdf", "application/pdf"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            kind = image.format
            pixels = image.width * image.height
            image.verify()
    except Image.DecompressionBombError:
        kind, pixels = None, MAX_PIXELS + 1
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind, pixels = None, 0
    finally:
        upload.seek(0)
    if pixels > MAX_PIXELS:
        raise ValidationError(_("照片尺寸过大（超过 4000 万像素）"), code="too_many_pixels")
    if kind not in IMAGE_FORMATS:
        raise ValidationError(_("只能上传 JPEG、PNG、WebP 照片或 PDF 文件"), code="bad_type")
    return IMAGE_FORMATS[kind]


def without_metadata(upload, extension: str):
    """The image re-encoded without EXIF and other metadata (a phone photo carries the
    place it was taken, the device and the time), turned upright first."""
    from PIL import Image, ImageOps

    fmt = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[extension]
    upload.seek(0)
    with Image.open(upload) as image:
        image = ImageOps.exif_transpose(image)
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format=fmt, **({"quality": 90} if fmt != "PNG" else {}))
    return ContentFile(out.getvalue(), name=f"photo.{extension}")


def check_uploads(uploads) -> list[tuple]:
    """Check a list of uploads; field errors name the file by its position."""
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > max_files():
        raise ValidationError({"attachments": [_("附件最多 %(n)d 个") % {"n": max_files()}]})
    checked, errors = [], []
    for number, upload in enumerate(uploads, start=1):
        try:
            extension, content_type = check_upload(upload)
            if content_type.startswith("image/"):
                upload = without_metadata(upload, extension)
            checked.append((upload, extension, content_type))
        except ValidationError as exc:
            errors.append(_("第 %(n)d 个附件：%(msg)s") % {"n": number, "msg": exc.messages[0]})
    if errors:
        raise ValidationError({"attachments": errors})
    return checked
