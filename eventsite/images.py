"""Images checked by their bytes and resized for the place they are shown.

Every image, local or remote, is opened with Pillow (restricted to raster formats browsers
show), checked against a pixel limit, turned upright, stripped of metadata (EXIF can hold GPS
positions) and re-encoded at one size per display density. A use's variants are written as WebP when that
is smaller, at 1x, than the classic format (JPEG, or PNG for transparent images).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported on first use: a warm build never decodes an image
    from PIL import Image

ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
DEFAULT_MAX_PIXELS = 40_000_000
WEBP_QUALITY = 80
WEBP_METHOD = 2  # half the encoding time of the default 4, for about 4 % more bytes
JPEG_QUALITY = 85
# WebP under this share of the classic format's quick encoding (`_quick_save`) is taken without
# the full one, which cannot be smaller there in practice: on 1,939 images (the real
# exports and a synthetic one) at the sizes a site uses, optimised progressive JPEG is >= 0.75
# of baseline and optimised PNG >= 0.83 of zlib level 6 (the output is unchanged for all 1,739
# real-export images); only flat, synthetic pictures compress further, and WebP is then far
# smaller still
CLASSIC_FLOOR = {"JPEG": 0.7, "PNG": 0.8}
MIN_EXTRA_DENSITY = 1.25  # a 2x variant less than 1.25x the 1x one is not worth a file
PIPELINE_VERSION = "4"  # bump when output bytes change for the same input


class BadImage(ValueError):
    """The bytes are not an image we accept."""


@dataclass(frozen=True, slots=True)
class Use:
    """One place an image is shown: its box in CSS pixels and whether it is cropped to fill."""

    name: str
    width: int
    height: int
    crop: bool = False
    densities: tuple[int, ...] = (1, 2)


@dataclass(frozen=True, slots=True)
class Encoded:
    data: bytes
    extension: str
    width: int
    height: int
    density: float
    digest: str = ""  # the SHA-256 of `data` when known (read back from the cache)


@dataclass(frozen=True, slots=True)
class Rendition:
    """One use of an image: its variants, 1x first; `width`/`height` are the CSS size."""

    use: str
    width: int
    height: int
    variants: tuple[Encoded, ...]


ROLE_USES: dict[str, tuple[Use, ...]] = {
    "speaker": (Use("photo", 160, 160, crop=True), Use("thumbnail", 64, 64, crop=True)),
    "sponsor": (Use("logo", 330, 110),),
    "logo": (Use("logo", 240, 40),),
    "copyright": (Use("logo", 120, 20),),
    "banner": (Use("banner", 1600, 900, densities=(1,)),),
}
DEFAULT_USES = (Use("image", 800, 800),)


def open_image(
    data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, needed: tuple[int, int] | None = None
) -> Image.Image:
    """Decode `data` as an accepted raster image, or raise BadImage saying why.

    With `needed`, a JPEG is decoded at the smallest scale that still covers that size.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise BadImage(f"{width}×{height} pixels is over the {max_pixels:,}-pixel limit")
            if needed is not None and image.format == "JPEG":
                image.draft("RGB", needed)
            image.load()
    except BadImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage("not an image (the content is no JPEG, PNG, GIF or WebP)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadImage(f"broken image ({exc})") from None
    return image


def identify(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[str, int, int]:
    """Format and size from the header alone (cheap); raises BadImage like `open_image`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            fmt, (width, height) = str(image.format), image.size
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise BadImage("not an image (the content is no JPEG, PNG, GIF or WebP)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadImage(f"broken image ({exc})") from None
    if width * height > max_pixels:
        raise BadImage(f"{width}×{height} pixels is over the {max_pixels:,}-pixel limit")
    return fmt, width, height


def renditions(data: bytes, role: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[Rendition]:
    """Every use of an image in `role`, resized and encoded; raises BadImage."""
    uses = ROLE_USES.get(role, DEFAULT_USES)
    image = _normalised(open_image(data, max_pixels, _largest_need(uses)))
    return [_render_use(image, use) for use in uses]


def _largest_need(uses: tuple[Use, ...]) -> tuple[int, int]:
    """A size covering every variant of `uses`, for decoding JPEGs at a reduced scale."""
    return (
        max(use.width * max(use.densities) for use in uses),
        max(use.height * max(use.densities) for use in uses),
    )


def _normalised(image: Image.Image) -> Image.Image:
    """Upright, first frame only, RGB or RGBA, no metadata."""
    from PIL import ImageOps

    image.seek(0)
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    converted = upright.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and converted.getextrema()[3][0] == 255:
        converted = converted.convert("RGB")  # an alpha channel that is fully opaque
    converted.info.clear()
    return converted


def _render_use(image: Image.Image, use: Use) -> Rendition:
    """The variants of one use: the largest is resized from the source and the smaller ones
    from it (a fraction of the pixels to read); the format is chosen on the 1x variant."""
    css_width, css_height = display_size(image.size, use)
    sizes = _variant_sizes(image.size, use, css_width, css_height)
    largest = _resized(image, use, *sizes[-1][:2])
    scaled = [
        largest if (width, height) == largest.size else _scaled(largest, width, height)
        for width, height, _ in sizes
    ]
    first = _encode(scaled[0], sizes[0][2])
    variants = [first] + [
        _encode(variant, density, first.extension)
        for variant, (_, _, density) in zip(scaled[1:], sizes[1:], strict=True)
    ]
    return Rendition(use.name, css_width, css_height, tuple(variants))


def _variant_sizes(
    size: tuple[int, int], use: Use, css_width: int, css_height: int
) -> list[tuple[int, int, float]]:
    """(width, height, density) of each variant worth a file, 1x first."""
    sizes: list[tuple[int, int, float]] = []
    for density in use.densities:
        width, height = _variant_size(size, use, css_width, css_height, density)
        real_density = round(width / css_width, 2)
        if sizes and real_density < sizes[-1][2] * MIN_EXTRA_DENSITY:
            continue
        sizes.append((width, height, real_density))
    return sizes


def _scaled(image: Image.Image, width: int, height: int) -> Image.Image:
    from PIL import Image

    return image.resize((width, height), Image.Resampling.LANCZOS)


def display_size(size: tuple[int, int], use: Use) -> tuple[int, int]:
    """CSS size of the 1x variant: the use's box, never upscaled."""
    width, height = size
    if use.crop:
        scale = min(1.0, width / use.width, height / use.height)
        return max(1, round(use.width * scale)), max(1, round(use.height * scale))
    scale = min(1.0, use.width / width, use.height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _variant_size(
    size: tuple[int, int], use: Use, css_width: int, css_height: int, density: int
) -> tuple[int, int]:
    """Pixel size at `density`, limited by what the source has (no upscaling)."""
    width, height = size
    available = min(width / css_width, height / css_height) if use.crop else width / css_width
    scale = min(float(density), max(1.0, available))
    return max(1, round(css_width * scale)), max(1, round(css_height * scale))


def _resized(image: Image.Image, use: Use, width: int, height: int) -> Image.Image:
    from PIL import Image, ImageOps

    if use.crop:
        return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    if (width, height) == image.size:
        return image
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, density: float, extension: str | None = None) -> Encoded:
    """The smaller of WebP and the classic format (JPEG, or PNG with transparency), or the
    format of `extension` when a smaller variant of the same use has chosen it already."""
    classic = "PNG" if image.mode == "RGBA" else "JPEG"
    if extension is not None:
        data, extension = _save(image, "WEBP" if extension == ".webp" else classic)
        return Encoded(data, extension, image.width, image.height, density)
    webp = _save(image, "WEBP")
    if len(webp[0]) < CLASSIC_FLOOR[classic] * len(_quick_save(image, classic)):
        candidates = [webp]  # the fully compressed classic file cannot be smaller
    else:
        candidates = [webp, _save(image, classic)]
    data, extension = min(candidates, key=lambda c: len(c[0]))
    return Encoded(data, extension, image.width, image.height, density)


def _quick_save(image: Image.Image, fmt: str) -> bytes:
    """The classic format with cheap settings (a sixth of the CPU or less): an upper estimate,
    to skip the full encoding when WebP is clearly smaller."""
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()


def _save(image: Image.Image, fmt: str) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    if fmt == "WEBP":
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
        return buffer.getvalue(), ".webp"
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        return buffer.getvalue(), ".jpg"
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue(), ".png"
