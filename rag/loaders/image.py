"""Images of pages (PNG, JPEG, TIFF) read by OCR: each image, or each frame of a TIFF, is a page.

A photo is turned the way its EXIF orientation says before it is read.
An image that would decode past Pillow's pixel limit (about 89 million pixels, a decompression
bomb) is refused before it is decoded. Does not read the text of EXIF or XMP metadata.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from . import ocr
from .cleaning import clean_pages
from .record import Loaded, Options, Unreadable
from .text import title_and_date


def read(path: Path, *, options: Options = Options()) -> Loaded:
    """The page(s) pictured in the image file at `path`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                count = getattr(image, "n_frames", 1)
                size = image.size
                image.load()  # a truncated file fails here, not halfway through OCR

                def render(number: int) -> Image.Image:
                    image.seek(number)
                    # A phone keeps a photo as the sensor saw it, with the way up in its EXIF tags.
                    return ImageOps.exif_transpose(image).convert("L")

                texts = ocr.read_pages(path, range(count), render, options)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Unreadable("refused: the image is too large to decode safely (a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise Unreadable(f"corrupt image ({exc})") from None
    pages = [texts[number] for number in range(count)]
    if not any(page.strip() for page in pages):
        raise Unreadable(f"no text found in the {size[0]}x{size[1]} image")
    text, starts = clean_pages(pages)
    title, date = title_and_date(text)
    return Loaded(text=text, title=title[:200], date=date, pages=starts)
