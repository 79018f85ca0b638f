"""GS1 Digital Link URIs, QR codes and the printable label with real CJK glyphs."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from label_cert.errors import LabelImageError
from label_cert.qr import cjk_font, digital_link, gtin14, label_png, qr_png, qr_svg


class TestDigitalLink:
    def test_pads_the_gtin_to_14_digits(self) -> None:
        assert gtin14("6901234567892") == "06901234567892"
        assert digital_link("https://pcf.example/", "6901234567892", "A 1/2") == (
            "https://pcf.example/01/06901234567892/21/A%201%2F2")

    @pytest.mark.parametrize("bad", ["6901234567893", "12345", "69012345678a2"])
    def test_refuses_a_bad_gtin(self, bad: str) -> None:
        with pytest.raises(LabelImageError):
            gtin14(bad)

    def test_refuses_an_over_long_serial(self) -> None:
        with pytest.raises(LabelImageError, match="1 to 20"):
            digital_link("https://x", "6901234567892", "x" * 21)


class TestQr:
    def test_svg_and_png_encode_the_uri(self) -> None:
        uri = digital_link("https://pcf.example", "6901234567892", "1")
        assert qr_svg(uri).startswith(b"<?xml") or b"<svg" in qr_svg(uri)[:200]
        image = Image.open(io.BytesIO(qr_png(uri)))
        assert image.width == image.height > 100


def _glyph(text: str) -> Image.Image:
    image = Image.new("L", (60, 60), 255)
    from PIL import ImageDraw

    ImageDraw.Draw(image).text((4, 4), text, font=cjk_font(48), fill=0)
    return image


class TestLabelImage:
    def test_cjk_characters_render_as_distinct_glyphs_not_boxes(self) -> None:
        # with a font lacking CJK, every character is the same .notdef box
        carbon, foot = _glyph("碳"), _glyph("足")
        assert ImageChops.difference(carbon, foot).getbbox() is not None
        assert carbon.getextrema()[0] < 128  # something was drawn

    def test_the_label_in_both_languages(self) -> None:
        uri = digital_link("https://pcf.example", "6901234567892", "7")
        for locale in ("zh_CN", "en"):
            image = Image.open(io.BytesIO(label_png(
                value="2.65", declared_unit="kg", grade="B", uri=uri,
                product="镀锌钢支架 GS-40", locale=locale)))
            assert image.size[0] == 760
            assert image.getcolors(maxcolors=100000)  # not blank
