"""Turning an uploaded case photo into what we store and serve.

Inspectors' handhelds upload JPEG, PNG or HEIC photos. `process_photo` checks the bytes,
strips every piece of metadata from the copy we serve (a photo of a blocked drain must not
publish where the inspector lives or which phone they carry), keeps the few fields the case
needs (when and where it was taken) and makes a thumbnail for lists and maps.

The type is sniffed from the bytes, never from the client's file name or Content-Type: both
are whatever the client says. Pure Python, no database: the Attachment model calls this and
stores the result.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import re
import struct
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from PIL import ExifTags, Image, ImageCms, ImageOps

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "NAIVE_EXIF_TIME_ZONE",
    "THUMBNAIL_LONGEST_SIDE",
    "PhotoError",
    "ProcessedPhoto",
    "process_photo",
    "sniff_format",
]

OriginalFormat = Literal["jpeg", "png", "heic"]
PhotoErrorCode = Literal["unsupported_type", "too_large", "corrupt", "too_many_pixels"]

DEFAULT_MAX_PIXELS = 40_000_000
THUMBNAIL_LONGEST_SIDE = 320
STORED_JPEG_QUALITY = 85
THUMBNAIL_JPEG_QUALITY = 80

# EXIF 2.31 added OffsetTimeOriginal; older phones and many Android camera apps still write
# only local wall-clock time. Our inspectors work in China, so a time without an offset is
# read as China Standard Time (no DST since 1991) rather than dropped.
NAIVE_EXIF_TIME_ZONE = ZoneInfo("Asia/Shanghai")

# Pillow's own decompression-bomb guard is process-wide: it warns above MAX_IMAGE_PIXELS and
# refuses above twice that, inside Image.open, for every caller (Django's ImageField
# validation included). Tie it to our photo policy so nothing in this process decodes an
# 80-megapixel image by accident. It is set at import, not lazily, so the limit does not
# depend on whether a photo happened to be processed first. process_photo still checks
# `max_pixels` itself before loading pixels; a `max_pixels` above 2 × this cannot take effect.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# The major brand of the ISO-BMFF "ftyp" box. Compatible brands are deliberately not
# consulted: AVIF files list "mif1" there too, and we have no AVIF decoder.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"})
_PILLOW_FORMAT: dict[OriginalFormat, str] = {"jpeg": "JPEG", "png": "PNG", "heic": "HEIF"}

# Pillow and pillow-heif report broken input through several exception types; all of them
# mean "these bytes do not decode" to us. (UnidentifiedImageError is an OSError.)
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, RuntimeError, struct.error)
# Malformed EXIF must not cost the inspector the photo: metadata is best-effort.
_METADATA_ERRORS = (
    *_DECODE_ERRORS,
    TypeError,
    KeyError,
    IndexError,
    ZeroDivisionError,
    OverflowError,
)

_EXIF_TEXT_MAX_CHARS = 64
_EXIF_DATETIME_FORMATS = ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S")
_EXIF_OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_READ_CHUNK = 1024 * 1024


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class PhotoError(ValueError):
    """Not a photo we accept. `code` is stable for clients; `message` is for people."""

    def __init__(self, code: PhotoErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: PhotoErrorCode = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    original_format: OriginalFormat
    # Of the stored copy: HEIC is served as JPEG because browsers outside Safari cannot show it.
    content_type: Literal["image/jpeg", "image/png"]
    # Kept out of repr so a ProcessedPhoto in a log line or traceback is not megabytes long.
    stored_bytes: bytes = field(repr=False)
    thumbnail_bytes: bytes = field(repr=False)
    # Of the stored copy, i.e. after the EXIF orientation has been applied.
    width: int
    height: int
    # Of the bytes as uploaded: a handheld retrying after a timeout sends the same bytes again.
    sha256: str
    taken_at: datetime | None
    # (longitude, latitude) in degrees, as the receiver wrote them (normally WGS-84).
    gps: tuple[float, float] | None
    exif: dict[str, str | float]

    @property
    def extension(self) -> str:
        return "png" if self.content_type == "image/png" else "jpg"


_heif_lock = threading.Lock()
_heif_registered = False


def _register_heif_opener() -> None:
    # Importing pillow_heif loads libheif and its codecs; processes that never see a photo
    # (migrations, the beat scheduler) should not pay for that.
    global _heif_registered
    if _heif_registered:
        return
    with _heif_lock:
        if not _heif_registered:
            import pillow_heif  # lazy on purpose, see above

            # No options: they are process-wide and other Pillow users may rely on defaults.
            pillow_heif.register_heif_opener()
            _heif_registered = True


def sniff_format(head: bytes) -> OriginalFormat | None:
    """The photo format the leading bytes announce, or None if it is not one we accept."""
    if head.startswith(_JPEG_MAGIC):
        return "jpeg"
    if head.startswith(_PNG_MAGIC):
        return "png"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    return None


def process_photo(
    data: bytes | bytearray | memoryview | _Readable,
    *,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ProcessedPhoto:
    """Check an uploaded photo and turn it into the copy we serve, a thumbnail and metadata.

    `data` is the upload's bytes or a binary file (a Django UploadedFile will do). A file is
    read from its start, since form validation may already have read it, and never beyond
    `max_bytes + 1` bytes.

    Raises PhotoError with code "too_large" (more than `max_bytes`, checked before anything
    is decoded), "unsupported_type" (not JPEG, PNG or HEIC/HEIF by its magic bytes),
    "too_many_pixels" (more than `max_pixels`, checked from the header before the pixels are
    decoded) or "corrupt" (truncated or undecodable).
    """
    raw = _read_limited(data, max_bytes)
    original_format = sniff_format(raw[:16])
    if original_format is None:
        raise PhotoError(
            "unsupported_type", gettext("Only JPEG, PNG and HEIC photos can be uploaded.")
        )
    if original_format == "heic":
        _register_heif_opener()

    try:
        image = Image.open(io.BytesIO(raw), formats=[_PILLOW_FORMAT[original_format]])
    except Image.DecompressionBombError:
        # Pillow's process-wide guard caught it first; same answer as our own check.
        raise _too_many_pixels(max_pixels) from None
    except _DECODE_ERRORS:
        raise _corrupt() from None

    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        # Read before the pixels: Pillow parses EXIF from the header.
        taken_at, gps, kept_exif = _read_metadata(image)
        try:
            image.load()
        except _DECODE_ERRORS:
            raise _corrupt() from None
        # Encoded inside the block: closing the image frees its pixels.
        upright = _strip_metadata(_to_srgb(_upright(image)), original_format)
        stored_bytes, content_type = _encode_stored(upright, original_format)
        thumbnail_bytes = _encode_thumbnail(upright)
        stored_width, stored_height = upright.size

    return ProcessedPhoto(
        original_format=original_format,
        content_type=content_type,
        stored_bytes=stored_bytes,
        thumbnail_bytes=thumbnail_bytes,
        width=stored_width,
        height=stored_height,
        sha256=hashlib.sha256(raw).hexdigest(),
        taken_at=taken_at,
        gps=gps,
        exif=kept_exif,
    )


# --- reading -------------------------------------------------------------------------------


def _read_limited(data: bytes | bytearray | memoryview | _Readable, max_bytes: int) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        if memoryview(data).nbytes > max_bytes:
            raise _too_large(max_bytes)
        return bytes(data)
    seek = getattr(data, "seek", None)
    if seek is not None:
        # A pipe or socket cannot rewind; then we read from wherever it is.
        with contextlib.suppress(OSError):
            seek(0)
    # Reading in chunks: a raw stream may return short reads before its end, and a client
    # lying about the size must not make us hold more than max_bytes + 1 in memory.
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        chunk = data.read(min(_READ_CHUNK, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise _too_large(max_bytes)
    return b"".join(chunks)


def _read_metadata(
    image: Image.Image,
) -> tuple[datetime | None, tuple[float, float] | None, dict[str, str | float]]:
    try:
        exif = image.getexif()
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except _METADATA_ERRORS:
        return None, None, {}

    kept: dict[str, str | float] = {}
    texts = {
        "make": exif.get(ExifTags.Base.Make),
        "model": exif.get(ExifTags.Base.Model),
        "datetime_original": exif_ifd.get(ExifTags.Base.DateTimeOriginal),
        "offset_time_original": exif_ifd.get(ExifTags.Base.OffsetTimeOriginal),
    }
    for key, value in texts.items():
        text = _exif_text(value)
        if text is not None:
            kept[key] = text
    altitude = _gps_altitude(gps_ifd)
    if altitude is not None:
        kept["gps_altitude"] = altitude

    taken_at = _taken_at(kept.get("datetime_original"), kept.get("offset_time_original"))
    return taken_at, _gps_position(gps_ifd), kept


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    # Fixed-width EXIF fields come padded with NULs or spaces.
    text = value.strip("\x00 \t\r\n")[:_EXIF_TEXT_MAX_CHARS]
    return text or None


def _taken_at(datetime_text: object, offset_text: object) -> datetime | None:
    if not isinstance(datetime_text, str):
        return None
    zone: tzinfo = NAIVE_EXIF_TIME_ZONE
    if isinstance(offset_text, str) and (match := _EXIF_OFFSET_RE.match(offset_text)):
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta < timedelta(hours=24):
            zone = timezone(-delta if sign == "-" else delta)
    for pattern in _EXIF_DATETIME_FORMATS:
        try:
            return datetime.strptime(datetime_text, pattern).replace(tzinfo=zone)
        except ValueError:
            # Cameras without a set clock write "0000:00:00 00:00:00" or blanks.
            continue
    return None


def _gps_position(gps_ifd: dict[int, object]) -> tuple[float, float] | None:
    latitude = _degrees(
        gps_ifd.get(ExifTags.GPS.GPSLatitude),
        gps_ifd.get(ExifTags.GPS.GPSLatitudeRef),
        "N",
        "S",
        90,
    )
    longitude = _degrees(
        gps_ifd.get(ExifTags.GPS.GPSLongitude),
        gps_ifd.get(ExifTags.GPS.GPSLongitudeRef),
        "E",
        "W",
        180,
    )
    if latitude is None or longitude is None:
        return None
    # Some phones write zeros while they have no fix; nothing we govern is in the Gulf of Guinea.
    if latitude == 0 and longitude == 0:
        return None
    return longitude, latitude


def _degrees(dms: object, ref: object, positive: str, negative: str, limit: float) -> float | None:
    # Without the reference the hemisphere is a guess; no position beats a mirrored one.
    hemisphere = _exif_text(ref)
    if hemisphere is None or hemisphere.upper() not in (positive, negative):
        return None
    if not isinstance(dms, tuple | list) or not 1 <= len(dms) <= 3:
        return None
    try:
        parts = [float(part) for part in dms]  # IFDRational; a zero denominator gives nan
    except _METADATA_ERRORS:
        return None
    if not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    # Degrees, minutes, seconds; some receivers write decimal minutes and omit seconds.
    degrees = sum(part / 60**index for index, part in enumerate(parts))
    if degrees > limit:
        return None
    return -degrees if hemisphere.upper() == negative else degrees


def _gps_altitude(gps_ifd: dict[int, object]) -> float | None:
    value = gps_ifd.get(ExifTags.GPS.GPSAltitude)
    if value is None:
        return None
    try:
        metres = float(value)  # type: ignore[arg-type]  # an IFDRational, or garbage
    except _METADATA_ERRORS:
        return None
    if not math.isfinite(metres):
        return None
    ref = gps_ifd.get(ExifTags.GPS.GPSAltitudeRef)
    if isinstance(ref, bytes):
        ref = ref[0] if ref else 0
    below_sea_level = ref == 1
    return round(-metres if below_sea_level else metres, 2)


# --- pixels --------------------------------------------------------------------------------


def _upright(image: Image.Image) -> Image.Image:
    # Stripping EXIF also drops the Orientation tag, so the rotation it asks for must be baked
    # into the pixels first. (pillow-heif has already applied HEIF's own rotation and reset
    # the EXIF tag to 1, so this is a no-op there.)
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except _METADATA_ERRORS:
        # An unreadable Orientation tag: serve the pixels as stored rather than reject them.
        return image
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    # Browsers assume sRGB for untagged images; iPhones shoot Display P3. Dropping the ICC
    # profile without converting would wash the colours out, so convert, then drop.
    icc_profile = image.info.get("icc_profile")
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        converted = ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
            ImageCms.createProfile("sRGB"),
            outputMode=output_mode,
            # In place when the mode stays: a 40 MP photo need not be held twice.
            inPlace=image.mode == output_mode,
        )
    except (ImageCms.PyCMSError, *_DECODE_ERRORS, TypeError):
        # A broken profile: the pixels are still good, only the colours may be off.
        return image
    return converted if converted is not None else image


def _strip_metadata(image: Image.Image, original_format: OriginalFormat) -> Image.Image:
    # Pillow's encoders copy some of image.info into the output on their own (the JPEG
    # comment, PNG's ICC profile), so clearing info is what makes the copy clean. Only PNG's
    # transparent colour or palette index (tRNS) is pixel data rather than metadata.
    kept: dict[str | tuple[int, int], Any] = {}
    if original_format == "png" and "transparency" in image.info:
        kept["transparency"] = image.info["transparency"]
    image.info = kept
    return image


def _flattened(image: Image.Image) -> Image.Image:
    """The image in a mode JPEG can hold; transparency becomes white, as on a printed form."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode_stored(
    image: Image.Image, original_format: OriginalFormat
) -> tuple[bytes, Literal["image/jpeg", "image/png"]]:
    buffer = io.BytesIO()
    if original_format == "png":
        # Screenshots and annotated maps: PNG keeps sharp edges and transparency.
        image.save(buffer, format="PNG")
        return buffer.getvalue(), "image/png"
    _flattened(image).save(buffer, format="JPEG", quality=STORED_JPEG_QUALITY, optimize=True)
    return buffer.getvalue(), "image/jpeg"


def _encode_thumbnail(image: Image.Image) -> bytes:
    flat = _flattened(image)
    longest = max(flat.size)
    if longest > THUMBNAIL_LONGEST_SIDE:
        scale = THUMBNAIL_LONGEST_SIDE / longest
        size = (max(1, round(flat.width * scale)), max(1, round(flat.height * scale)))
        # reducing_gap shrinks by whole factors first: fast on a 40 MP photo, no visible loss.
        flat = flat.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Smaller photos are not blown up: a blurry thumbnail helps no one.
    buffer = io.BytesIO()
    flat.save(buffer, format="JPEG", quality=THUMBNAIL_JPEG_QUALITY)
    return buffer.getvalue()


# --- errors --------------------------------------------------------------------------------


def _too_large(max_bytes: int) -> PhotoError:
    return PhotoError(
        "too_large",
        gettext("The photo is larger than %(limit)s.") % {"limit": filesizeformat(max_bytes)},
    )


def _too_many_pixels(max_pixels: int) -> PhotoError:
    return PhotoError(
        "too_many_pixels",
        gettext("The photo has more than %(megapixels)s megapixels.")
        % {"megapixels": f"{max_pixels / 1_000_000:g}"},
    )


def _corrupt() -> PhotoError:
    return PhotoError(
        "corrupt", gettext("The photo is damaged or incomplete. Please upload it again.")
    )
