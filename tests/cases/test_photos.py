"""cases.photos: what an inspector's upload turns into. Images are built in memory."""

from __future__ import annotations

import hashlib
import io
import json
import random
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational

from cases.photos import (
    NAIVE_EXIF_TIME_ZONE,
    PhotoError,
    ProcessedPhoto,
    process_photo,
    sniff_format,
)

MAX_BYTES = 10 * 1024 * 1024
SERIAL = "SN-8848-INSPECTOR-PHONE"

# Qingdao, Shibei district: 36°5'30.24" N, 120°19'1" E, 12.5 m above sea level.
LATITUDE = 36 + 5 / 60 + 30.24 / 3600
LONGITUDE = 120 + 19 / 60 + 1 / 3600


def two_tone(width: int = 80, height: int = 40) -> Image.Image:
    """Red left half, blue right half: shows which way the pixels were turned."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def noise(width: int, height: int) -> Image.Image:
    # Noise does not compress, so a truncated file really lacks pixel data.
    return Image.frombytes("RGB", (width, height), random.Random(7).randbytes(width * height * 3))


def rationals(*values: float) -> tuple[IFDRational, ...]:
    return tuple(IFDRational(round(value * 100), 100) for value in values)


def phone_exif(
    *,
    orientation: int = 6,
    taken: str | None = "2024:05:01 09:30:00",
    offset: str | None = "+08:00",
    latitude_ref: str = "N",
    longitude_ref: str = "E",
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "P60 Pro"
    exif[ExifTags.Base.Software] = "inspector-camera 2.1"
    exif_ifd: dict[int, object] = {ExifTags.Base.BodySerialNumber: SERIAL}
    if taken is not None:
        exif_ifd[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        exif_ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    exif[ExifTags.IFD.Exif] = exif_ifd
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: latitude_ref,
        ExifTags.GPS.GPSLatitude: rationals(36, 5, 30.24),
        ExifTags.GPS.GPSLongitudeRef: longitude_ref,
        ExifTags.GPS.GPSLongitude: rationals(120, 19, 1),
        ExifTags.GPS.GPSAltitudeRef: b"\x00",
        ExifTags.GPS.GPSAltitude: IFDRational(125, 10),
    }
    return exif


def encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def phone_jpeg(*, icc_profile: bytes | None = SRGB_PROFILE, **exif_options: object) -> bytes:
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    return encode(
        two_tone(),
        "JPEG",
        exif=phone_exif(**exif_options),  # type: ignore[arg-type]
        comment=b"shot at Liaoning Rd 17, flat 302",
        quality=95,
        **extra,
    )


def jpeg_marker_segments(data: bytes) -> list[int]:
    """The markers before the image data (APPn, COM, DQT, SOF…)."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [], 2
    while position < len(data):
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return markers


def png_chunk_types(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    types, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        types.append(data[position + 4 : position + 8])
        position += 12 + length
    return types


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size but carries no real pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def heif_encoder_available() -> bool:
    import pillow_heif

    return bool(pillow_heif.libheif_info().get("HEIF"))


def error_code(data: object, **kwargs: object) -> str:
    with pytest.raises(PhotoError) as caught:
        process_photo(data, **{"max_bytes": MAX_BYTES, **kwargs})  # type: ignore[arg-type]
    return caught.value.code


# --- a phone JPEG ---------------------------------------------------------------------------


def test_phone_jpeg_gives_gps_as_lon_lat():
    photo = process_photo(phone_jpeg(), max_bytes=MAX_BYTES)

    assert photo.gps is not None
    longitude, latitude = photo.gps
    assert longitude == pytest.approx(LONGITUDE, abs=1e-6)
    assert latitude == pytest.approx(LATITUDE, abs=1e-6)


def test_southern_and_western_refs_make_coordinates_negative():
    photo = process_photo(phone_jpeg(latitude_ref="S", longitude_ref="W"), max_bytes=MAX_BYTES)

    assert photo.gps == pytest.approx((-LONGITUDE, -LATITUDE), abs=1e-6)


def test_taken_at_uses_the_offset_the_phone_wrote():
    photo = process_photo(phone_jpeg(offset="-05:00"), max_bytes=MAX_BYTES)

    assert photo.taken_at == datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert photo.taken_at.utcoffset() == timedelta(hours=-5)


def test_taken_at_without_offset_is_read_as_china_standard_time():
    photo = process_photo(phone_jpeg(offset=None), max_bytes=MAX_BYTES)

    assert ZoneInfo("Asia/Shanghai") == NAIVE_EXIF_TIME_ZONE
    assert photo.taken_at == datetime(2024, 5, 1, 1, 30, tzinfo=UTC)
    assert photo.taken_at.tzinfo is not None


def test_unset_camera_clock_gives_no_taken_at_but_keeps_the_photo():
    photo = process_photo(phone_jpeg(taken="0000:00:00 00:00:00"), max_bytes=MAX_BYTES)

    assert photo.taken_at is None
    assert photo.content_type == "image/jpeg"


def test_kept_exif_is_small_and_json_serialisable():
    photo = process_photo(phone_jpeg(), max_bytes=MAX_BYTES)

    assert photo.exif == {
        "make": "HUAWEI",
        "model": "P60 Pro",
        "datetime_original": "2024:05:01 09:30:00",
        "offset_time_original": "+08:00",
        "gps_altitude": 12.5,
    }
    assert json.loads(json.dumps(photo.exif)) == photo.exif


def test_stored_copy_has_no_exif_at_all():
    photo = process_photo(phone_jpeg(), max_bytes=MAX_BYTES)

    stored = reopen(photo.stored_bytes)
    assert stored.format == "JPEG"
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info
    assert "icc_profile" not in stored.info
    assert "comment" not in stored.info


@pytest.mark.parametrize("icc_profile", [SRGB_PROFILE, None], ids=["with_icc", "without_icc"])
def test_stored_copy_carries_no_metadata_segments_and_no_serial(icc_profile):
    photo = process_photo(phone_jpeg(icc_profile=icc_profile), max_bytes=MAX_BYTES)

    markers = jpeg_marker_segments(photo.stored_bytes)
    # APP0 (JFIF) only describes pixel density; APP1–APP15 and COM carry metadata.
    assert [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE] == []
    for secret in (SERIAL.encode(), b"HUAWEI", b"Liaoning", b"Exif"):
        assert secret not in photo.stored_bytes
        assert secret not in photo.thumbnail_bytes


def test_orientation_is_applied_before_the_exif_goes():
    photo = process_photo(phone_jpeg(orientation=6), max_bytes=MAX_BYTES)

    # Stored 80×40 landscape with "rotate 90° clockwise to display": served as 40×80 portrait.
    assert (photo.width, photo.height) == (40, 80)
    stored = reopen(photo.stored_bytes).convert("RGB")
    assert stored.size == (40, 80)
    top_red, _, top_blue = stored.getpixel((20, 10))  # type: ignore[misc]
    bottom_red, _, bottom_blue = stored.getpixel((20, 70))  # type: ignore[misc]
    # The sensor's left (red) half is now on top, its right (blue) half at the bottom.
    assert (top_red > 200, top_blue < 60) == (True, True)
    assert (bottom_red < 60, bottom_blue > 200) == (True, True)


def test_photo_without_orientation_keeps_its_shape():
    photo = process_photo(phone_jpeg(orientation=1), max_bytes=MAX_BYTES)

    assert (photo.width, photo.height) == (80, 40)


def test_jpeg_without_exif_has_no_metadata():
    photo = process_photo(encode(two_tone(), "JPEG"), max_bytes=MAX_BYTES)

    assert photo.original_format == "jpeg"
    assert (photo.taken_at, photo.gps, photo.exif) == (None, None, {})


def test_zero_coordinates_from_a_phone_without_fix_are_no_position():
    exif = phone_exif()
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: rationals(0, 0, 0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: rationals(0, 0, 0),
    }

    photo = process_photo(encode(two_tone(), "JPEG", exif=exif), max_bytes=MAX_BYTES)

    assert photo.gps is None


def test_jpeg_is_reencoded_smaller_than_a_quality_100_original():
    original = encode(noise(200, 200), "JPEG", quality=100)

    photo = process_photo(original, max_bytes=MAX_BYTES)

    assert photo.content_type == "image/jpeg"
    assert len(photo.stored_bytes) < len(original)


def test_multi_picture_jpeg_is_served_as_its_first_picture_only():
    # Samsung and portrait-mode shots append a second picture (depth map, preview) as MPO.
    buffer = io.BytesIO()
    two_tone().save(
        buffer, format="MPO", save_all=True, append_images=[noise(80, 40)], exif=phone_exif()
    )

    photo = process_photo(buffer.getvalue(), max_bytes=MAX_BYTES)

    assert photo.original_format == "jpeg"
    assert photo.gps is not None
    stored = reopen(photo.stored_bytes)
    assert stored.format == "JPEG"
    assert getattr(stored, "n_frames", 1) == 1
    assert [m for m in jpeg_marker_segments(photo.stored_bytes) if 0xE1 <= m <= 0xEF] == []


# --- PNG ------------------------------------------------------------------------------------


def test_png_stays_png_with_its_transparency():
    screenshot = Image.new("RGBA", (60, 30), (0, 128, 0, 0))
    screenshot.paste((255, 0, 0, 255), (0, 0, 30, 30))
    info = PngInfo()
    info.add_text("Comment", "drawn on the map of grid 370203001001001")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    original = encode(screenshot, "PNG", pnginfo=info, exif=exif)

    photo = process_photo(original, max_bytes=MAX_BYTES)

    assert photo.original_format == "png"
    assert photo.content_type == "image/png"
    assert photo.exif == {"make": "HUAWEI"}
    stored = reopen(photo.stored_bytes)
    assert stored.format == "PNG"
    assert stored.mode == "RGBA"
    assert stored.getpixel((45, 15))[3] == 0  # type: ignore[index]
    assert set(png_chunk_types(photo.stored_bytes)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert len(stored.getexif()) == 0


def test_palette_png_loses_its_colour_profile_chunk():
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([255, 255, 255, 255, 0, 0])
    original = encode(palette, "PNG", icc_profile=SRGB_PROFILE)
    assert b"iCCP" in original

    photo = process_photo(original, max_bytes=MAX_BYTES)

    assert b"iCCP" not in png_chunk_types(photo.stored_bytes)


def test_palette_png_keeps_its_transparent_index():
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([255, 255, 255, 255, 0, 0])
    original = encode(palette, "PNG", transparency=1)

    photo = process_photo(original, max_bytes=MAX_BYTES)

    stored = reopen(photo.stored_bytes)
    assert stored.info.get("transparency") == 1


def test_thumbnail_of_a_transparent_png_is_a_jpeg_on_white():
    transparent = Image.new("RGBA", (400, 200), (0, 0, 0, 0))

    photo = process_photo(encode(transparent, "PNG"), max_bytes=MAX_BYTES)

    thumbnail = reopen(photo.thumbnail_bytes)
    assert thumbnail.format == "JPEG"
    assert thumbnail.convert("RGB").getpixel((10, 10)) == (255, 255, 255)


def test_16_bit_greyscale_png_is_accepted():
    scan = Image.new("I;16", (500, 100), 40000)

    photo = process_photo(encode(scan, "PNG"), max_bytes=MAX_BYTES)

    assert photo.content_type == "image/png"
    assert reopen(photo.thumbnail_bytes).size == (320, 64)


# --- HEIC -----------------------------------------------------------------------------------


@pytest.mark.skipif(
    not heif_encoder_available(), reason="libheif in this pillow-heif build has no HEVC encoder"
)
def test_heic_from_an_iphone_is_served_as_jpeg_without_metadata():
    import pillow_heif

    exif = phone_exif(orientation=1)
    buffer = io.BytesIO()
    heif = pillow_heif.from_pillow(two_tone(64, 48))
    heif.info["exif"] = exif.tobytes()
    heif.save(buffer, format="HEIF", quality=90)
    original = buffer.getvalue()
    assert original[4:12] == b"ftypheic"

    photo = process_photo(original, max_bytes=MAX_BYTES)

    assert photo.original_format == "heic"
    assert photo.content_type == "image/jpeg"
    assert (photo.width, photo.height) == (64, 48)
    assert photo.exif["make"] == "HUAWEI"
    assert photo.gps == pytest.approx((LONGITUDE, LATITUDE), abs=1e-6)
    assert photo.taken_at == datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    stored = reopen(photo.stored_bytes)
    assert stored.format == "JPEG"
    assert len(stored.getexif()) == 0
    assert SERIAL.encode() not in photo.stored_bytes


@pytest.mark.skipif(
    not heif_encoder_available(), reason="libheif in this pillow-heif build has no HEVC encoder"
)
def test_heic_rotation_is_kept_upright():
    import pillow_heif

    buffer = io.BytesIO()
    heif = pillow_heif.from_pillow(two_tone(64, 48))
    heif.info["exif"] = phone_exif(orientation=6).tobytes()
    heif.save(buffer, format="HEIF")

    photo = process_photo(buffer.getvalue(), max_bytes=MAX_BYTES)

    assert (photo.width, photo.height) == (48, 64)


# --- thumbnail and hash ---------------------------------------------------------------------


def test_thumbnail_longest_side_is_320():
    photo = process_photo(encode(noise(1000, 600), "JPEG"), max_bytes=MAX_BYTES)

    thumbnail = reopen(photo.thumbnail_bytes)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (320, 192)


def test_thumbnail_of_a_portrait_photo_is_320_high():
    photo = process_photo(phone_jpeg(), max_bytes=MAX_BYTES)  # 40×80 once upright
    assert reopen(photo.thumbnail_bytes).size == (40, 80)

    tall = process_photo(encode(noise(300, 900), "JPEG"), max_bytes=MAX_BYTES)
    assert reopen(tall.thumbnail_bytes).size == (107, 320)


def test_small_photo_thumbnail_is_not_enlarged():
    photo = process_photo(encode(two_tone(100, 50), "JPEG"), max_bytes=MAX_BYTES)

    assert reopen(photo.thumbnail_bytes).size == (100, 50)


def test_sha256_is_of_the_uploaded_bytes_and_stable_across_retries():
    original = phone_jpeg()

    first = process_photo(original, max_bytes=MAX_BYTES)
    retry = process_photo(bytearray(original), max_bytes=MAX_BYTES)

    assert first.sha256 == retry.sha256 == hashlib.sha256(original).hexdigest()
    assert process_photo(phone_jpeg(offset="+09:00"), max_bytes=MAX_BYTES).sha256 != first.sha256


def test_repr_does_not_dump_the_image_bytes():
    photo = process_photo(encode(noise(200, 200), "JPEG"), max_bytes=MAX_BYTES)

    assert isinstance(photo, ProcessedPhoto)
    assert "stored_bytes" not in repr(photo)
    assert len(repr(photo)) < 500


# --- file-like input ------------------------------------------------------------------------


def test_uploaded_file_is_read_from_the_start_even_after_validation_read_it():
    upload = SimpleUploadedFile("IMG_0001.HEIC", phone_jpeg(), content_type="image/heic")
    upload.read()  # form validation got there first

    photo = process_photo(upload, max_bytes=MAX_BYTES)

    assert photo.original_format == "jpeg"  # the bytes decide, not the name or header
    assert photo.gps is not None


def test_stream_is_not_read_past_the_limit():
    class CountingStream(io.BytesIO):
        bytes_read = 0

        def read(self, size: int | None = -1, /) -> bytes:
            chunk = super().read(size)
            self.bytes_read += len(chunk)
            return chunk

    stream = CountingStream(b"\xff\xd8\xff" + b"\x00" * 5_000_000)

    assert error_code(stream, max_bytes=1000) == "too_large"
    assert stream.bytes_read == 1001


# --- rejections -----------------------------------------------------------------------------


def test_gif_is_unsupported():
    assert error_code(encode(two_tone(), "GIF")) == "unsupported_type"


def test_pdf_is_unsupported():
    assert error_code(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF") == (
        "unsupported_type"
    )


def test_text_named_jpg_with_a_jpeg_header_is_unsupported():
    upload = SimpleUploadedFile(
        "photo.jpg", b"<?php system($_GET['c']); ?>", content_type="image/jpeg"
    )

    assert error_code(upload) == "unsupported_type"


def test_avif_is_unsupported_even_though_it_is_an_ftyp_file():
    avif_head = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00mif1miafMA1B" + b"\x00" * 64

    assert error_code(avif_head) == "unsupported_type"


def test_empty_upload_is_unsupported():
    assert error_code(b"") == "unsupported_type"


def test_sniffing_knows_the_three_formats_by_their_magic():
    assert sniff_format(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff_format(b"\x89PNG\r\n\x1a\n") == "png"
    assert sniff_format(b"\x00\x00\x00\x18ftypmif1") == "heic"
    assert sniff_format(b"GIF89a") is None


def test_upload_over_the_byte_limit_is_too_large():
    original = phone_jpeg()

    assert error_code(original, max_bytes=len(original) - 1) == "too_large"
    assert process_photo(original, max_bytes=len(original)).sha256


def test_too_large_is_decided_before_the_type():
    assert error_code(b"not an image at all", max_bytes=5) == "too_large"


def test_truncated_jpeg_is_corrupt():
    original = encode(noise(300, 300), "JPEG", quality=90)

    assert error_code(original[: len(original) // 2]) == "corrupt"


def test_jpeg_magic_followed_by_garbage_is_corrupt():
    assert error_code(b"\xff\xd8\xff" + b"garbage" * 100) == "corrupt"


def test_png_with_a_bad_body_is_corrupt():
    assert error_code(png_header_only(200, 200)) == "corrupt"


def test_heic_magic_followed_by_garbage_is_corrupt():
    assert error_code(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200) == "corrupt"


def test_png_declaring_50000_by_50000_is_refused_without_decoding():
    bomb = png_header_only(50_000, 50_000)
    assert len(bomb) < 100

    assert error_code(bomb) == "too_many_pixels"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixel_limit_is_checked_from_the_header_before_loading():
    # 7000×7000 = 49 MP: over our 40 MP default, under Pillow's own hard stop. The body is
    # junk, so had the pixels been decoded this would have come back "corrupt".
    assert error_code(png_header_only(7000, 7000)) == "too_many_pixels"


def test_pixel_limit_is_the_callers_to_set():
    original = encode(two_tone(100, 100), "PNG")

    assert error_code(original, max_pixels=9_999) == "too_many_pixels"
    assert process_photo(original, max_bytes=MAX_BYTES, max_pixels=10_000).width == 100


def test_photo_error_is_a_value_error_with_code_and_message():
    with pytest.raises(ValueError, match="JPEG, PNG and HEIC") as caught:
        process_photo(b"GIF89a", max_bytes=MAX_BYTES)

    error = caught.value
    assert isinstance(error, PhotoError)
    assert error.code == "unsupported_type"
    assert str(error) == error.message
