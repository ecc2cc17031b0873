"""Images are checked by their bytes and resized for their role, deterministically."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from eventsite.fetch.cache import MediaCache
from eventsite.images import BadImage, identify, open_image, renditions
from eventsite.issues import IssueLog
from eventsite.media import ImageRequest, MediaResolver
from eventsite.model.entities import MediaRef
from eventsite.progress import LogProgress, Progress, for_terminal
from eventsite.sources.base import MediaStore


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo(width: int, height: int) -> bytes:
    """A photo-like gradient (compresses like a photo, unlike a flat colour)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    return encoded(image, "JPEG", quality=92)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_speaker_photo_gets_photo_and_thumbnail_at_two_densities() -> None:
    photo_use, thumb_use = renditions(photo(1000, 800), "speaker")
    assert (photo_use.use, photo_use.width, photo_use.height) == ("photo", 160, 160)
    assert [(v.width, v.height, v.density) for v in photo_use.variants] == [
        (160, 160, 1.0),
        (320, 320, 2.0),
    ]
    assert [(v.width, v.density) for v in thumb_use.variants] == [(64, 1.0), (128, 2.0)]
    for variant in photo_use.variants + thumb_use.variants:
        assert decoded(variant.data).size == (variant.width, variant.height)


def test_small_images_are_never_upscaled() -> None:
    (logo,) = renditions(photo(100, 20), "sponsor")
    assert (logo.width, logo.height) == (100, 20)
    assert [(v.width, v.height) for v in logo.variants] == [(100, 20)]
    photo_use, _thumb = renditions(photo(200, 200), "speaker")
    assert [v.density for v in photo_use.variants] == [1.0, 1.25]  # 200 px is all there is


def test_logos_keep_their_aspect_ratio_and_transparency() -> None:
    transparent = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    transparent.paste((20, 120, 220, 255), (100, 100, 800, 200))
    (logo,) = renditions(encoded(transparent, "PNG"), "sponsor")
    assert (logo.width, logo.height) == (330, 110)
    for variant in logo.variants:
        assert variant.extension in (".webp", ".png")
        assert decoded(variant.data).mode == "RGBA"


def test_modern_format_is_used_only_where_it_saves_bytes() -> None:
    (banner,) = renditions(photo(1600, 900), "banner")
    (variant,) = banner.variants
    webp = encoded(decoded(variant.data).convert("RGB"), "WEBP", quality=80)
    jpeg = encoded(decoded(variant.data).convert("RGB"), "JPEG", quality=85)
    assert variant.extension == (".webp" if len(webp) < len(jpeg) else ".jpg")


def test_metadata_is_stripped_and_orientation_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the stored 400x200 image is shown as 200x400
    exif[0x010F] = "Camera maker with GPS"
    source = encoded(Image.new("RGB", (400, 200), (90, 90, 90)), "JPEG", exif=exif.tobytes())
    (image,) = renditions(source, "unknown-role")
    (variant,) = image.variants
    result = decoded(variant.data)
    assert result.size == (200, 400)
    assert not result.getexif() and "exif" not in result.info


def test_same_bytes_give_byte_identical_files() -> None:
    source = photo(640, 480)
    first = [v.data for r in renditions(source, "speaker") for v in r.variants]
    second = [v.data for r in renditions(source, "speaker") for v in r.variants]
    assert first == second


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<!doctype html><title>login</title>", "not an image"),
        (b"%PDF-1.7\n", "not an image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "not an image"),
        (photo(50, 50)[:200], "broken image"),
    ],
    ids=["html", "pdf", "svg", "truncated"],
)
def test_content_decides_not_the_name(data: bytes, words: str) -> None:
    with pytest.raises(BadImage, match=words):
        open_image(data)


def test_decompression_bombs_are_refused_before_decoding() -> None:
    bomb = encoded(Image.new("L", (6000, 6000)), "PNG")  # tiny file, 36 million pixels
    assert len(bomb) < 100_000
    with pytest.raises(BadImage, match="over the 10,000,000-pixel limit"):
        identify(bomb, max_pixels=10_000_000)
    with pytest.raises(BadImage, match="pixel limit"):
        renditions(bomb, "speaker", max_pixels=10_000_000)


def test_resized_images_are_reused_from_the_cache(tmp_path: Path) -> None:
    store = MediaStore({"p.jpg": "p.jpg"}, reader=lambda _name: photo(500, 500))
    cache = MediaCache(tmp_path)
    outputs = []
    for _build in range(2):
        resolver = MediaResolver(store, IssueLog(), derived=cache)
        resolver.prepare([ImageRequest(MediaRef("p.jpg", "speaker"), "speaker", "1")])
        outputs.append(resolver.files)
    assert outputs[0] == outputs[1] and len(outputs[0]) == 4
    (entry,) = (tmp_path / "derived").iterdir()  # one file holds every variant
    packed = entry.read_bytes()
    for damaged in (packed[:-1] + bytes([packed[-1] ^ 1]), packed[:-1], packed + b"x", b""):
        entry.write_bytes(damaged)  # a damaged cache is ignored, never published
        resolver = MediaResolver(store, IssueLog(), derived=cache)
        resolver.prepare([ImageRequest(MediaRef("p.jpg", "speaker"), "speaker", "1")])
        assert resolver.files == outputs[0]
        assert entry.read_bytes() == packed  # and made again


def test_progress_is_plain_lines_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = for_terminal(quiet=False, stream=stream)
    assert isinstance(progress, LogProgress)
    with progress.task("images", 300) as task:
        for _ in range(300):
            task.advance()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "images: 300 …"
    assert lines[1].startswith("images: 300/300 in ")
    assert len(lines) == 2
    quiet = io.StringIO()
    assert type(for_terminal(quiet=True, stream=quiet)) is Progress


@pytest.mark.parametrize("role", ["speaker", "sponsor"])
def test_variants_of_a_use_share_the_format_chosen_at_1x(role: str) -> None:
    """The 2x variant is made from nothing but a larger copy of the 1x picture, in its format."""
    from eventsite.images import _save

    for source in (
        photo(1200, 900),
        encoded(Image.new("RGBA", (900, 300), (9, 99, 9, 120)), "PNG"),
    ):
        for use in renditions(source, role):
            one_x = use.variants[0]
            assert {v.extension for v in use.variants} == {one_x.extension}
            assert [v.density for v in use.variants] == sorted(v.density for v in use.variants)
            picture = decoded(one_x.data)
            classic = "PNG" if picture.mode == "RGBA" else "JPEG"
            sizes = {
                ext: len(data) for data, ext in (_save(picture, "WEBP"), _save(picture, classic))
            }
            assert one_x.extension == min(sizes, key=sizes.__getitem__)
            larger = decoded(use.variants[-1].data).convert(picture.mode)
            assert larger.size[0] > picture.size[0]
            shrunk = larger.resize(picture.size, Image.Resampling.LANCZOS)
            difference = sum(
                abs(a - b) for a, b in zip(shrunk.tobytes(), picture.tobytes(), strict=True)
            )
            assert difference / len(picture.tobytes()) < 8  # the same picture, not another crop
