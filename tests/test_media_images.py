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


def _resolve_speaker_photos(folder: Path, cache: MediaCache) -> tuple[dict[str, bytes], int]:
    """The media files of the export in `folder`'s speaker photos, and how many it read."""
    from eventsite.sources import open_source

    store = open_source(str(folder), IssueLog()).media
    reads = 0
    reader = store.reader
    assert reader is not None

    def counting_reader(name: str) -> bytes:
        nonlocal reads
        reads += 1
        return reader(name)

    store.reader = counting_reader
    names = sorted(p.relative_to(folder).as_posix() for p in folder.glob("images/speakers/*"))
    requests = [ImageRequest(MediaRef(n, "speaker"), "speaker", n) for n in names]
    resolver = MediaResolver(store, IssueLog(), derived=cache)
    resolver.prepare(requests)
    return resolver.files, reads


def test_unchanged_files_are_not_read_again_and_changed_ones_always_are(tmp_path: Path) -> None:
    import os
    import shutil

    from conftest import SAMPLE

    folder = tmp_path / "export"
    shutil.copytree(SAMPLE, folder)
    cache = tmp_path / "cache"
    first, first_reads = _resolve_speaker_photos(folder, MediaCache(cache))
    assert first_reads > 3
    again, reads = _resolve_speaker_photos(folder, MediaCache(cache))
    assert (again, reads) == (first, 0)  # taken from the cache by file name and signature
    # other bytes of the same size under the old modification time: the change time and the
    # inode still tell, so the new picture is published, not the cached one
    changed = sorted(folder.glob("images/speakers/*"))[0]
    before = changed.stat()
    data = encoded(Image.new("RGB", (90, 90), (200, 30, 30)), "PNG")  # padded after its end,
    # which decoders ignore
    assert len(data) < before.st_size
    changed.unlink()
    changed.write_bytes(data.ljust(before.st_size, b"\0"))
    os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (changed.stat().st_size, changed.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    after, reads = _resolve_speaker_photos(folder, MediaCache(cache))
    assert reads == 1
    assert after != first
    fresh, _ = _resolve_speaker_photos(folder, MediaCache(tmp_path / "no-cache"))
    assert after == fresh


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


def structured_photo(width: int, height: int) -> Image.Image:
    """A gradient with shapes and fine noise: a wrong crop, scale or blur shows in the pixels."""
    from PIL import ImageDraw

    image = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((width, height)),
            Image.linear_gradient("L").rotate(90).resize((width, height)),
            Image.effect_noise((width, height), 30),
        ),
    )
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 4, width // 2, height // 2), fill=(250, 20, 20))
    draw.rectangle((width // 2, height // 2, width * 7 // 8, height * 7 // 8), fill=(20, 20, 250))
    return image


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    pairs = zip(a.convert("RGB").tobytes(), b.convert("RGB").tobytes(), strict=True)
    return sum(abs(x - y) for x, y in pairs) / (a.width * a.height * 3)


@pytest.mark.parametrize("size", [(3000, 2000), (1300, 1700), (700, 700)])
def test_large_jpegs_decoded_at_a_reduced_scale_still_look_like_the_source(
    size: tuple[int, int],
) -> None:
    from PIL import ImageOps

    source = structured_photo(*size)
    data = encoded(source, "JPEG", quality=92)
    uses = renditions(data, "speaker")
    assert [(v.width, v.height) for u in uses for v in u.variants] == [
        (160, 160),
        (320, 320),
        (64, 64),
        (128, 128),
    ]
    for use in uses:
        for variant in use.variants:
            # the reference: the full-size source, cropped and resized in one step
            wanted = ImageOps.fit(
                source,
                (variant.width, variant.height),
                Image.Resampling.LANCZOS,
                centering=(0.5, 0.4),
            )
            assert mean_difference(decoded(variant.data), wanted) < 6
    again = [v.data for u in renditions(data, "speaker") for v in u.variants]
    assert again == [v.data for u in uses for v in u.variants]


def format_choice_cases() -> list[Image.Image]:
    import random

    from PIL import ImageDraw

    noise = random.Random(3)
    logo = Image.new("RGBA", (330, 110), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((10, 10, 320, 100), fill=(200, 30, 30, 255))
    return [
        structured_photo(160, 160),
        structured_photo(64, 64),
        Image.new("RGB", (160, 160), (30, 60, 90)),
        Image.frombytes("RGB", (64, 64), bytes(noise.randrange(256) for _ in range(64 * 64 * 3))),
        logo,
        Image.new("RGBA", (120, 40), (9, 99, 9, 120)),
        structured_photo(200, 80).convert("RGBA"),
    ]


@pytest.mark.parametrize("index", range(len(format_choice_cases())))
def test_format_choice_is_the_smaller_of_both_full_encodings(index: int) -> None:
    """Skipping the classic encoding when WebP is clearly smaller never changes the choice."""
    from eventsite.images import _encode, _save

    image = format_choice_cases()[index]
    classic = "PNG" if image.mode == "RGBA" else "JPEG"
    both = [_save(image, "WEBP"), _save(image, classic)]
    data, extension = min(both, key=lambda candidate: len(candidate[0]))
    chosen = _encode(image, 1.0)
    assert (chosen.data, chosen.extension) == (data, extension)
