"""The QR code on the product and the printable label: a GS1 Digital Link style URI
(/01/{GTIN-14}/21/{serial}) that resolves to the public verification page, rendered with
segno, and a label image (value, unit, grade, QR) in Chinese or English with real CJK glyphs.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import segno
from PIL import Image, ImageDraw, ImageFont

from label_cert.errors import (
    LabelImageError,
)

CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
)
CJK_SC_INDEX = 2  # the simplified-Chinese face inside the Noto CJK collection


def gtin14(code: str) -> str:
    """*code* (GTIN-8, -12, -13 or -14) as 14 digits, its check digit verified."""
    digits = code.strip()
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise LabelImageError(f"{code!r} is not a GTIN-8, -12, -13 or -14")
    padded = digits.rjust(14, "0")
    body, check = padded[:-1], int(padded[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    if (10 - total % 10) % 10 != check:
        raise LabelImageError(f"{code!r} has a wrong check digit")
    return padded


def digital_link(base_url: str, gtin: str, serial: str) -> str:
    """The GS1 Digital Link style URI of one labelled item."""
    if not serial or len(serial) > 20:
        raise LabelImageError(f"serial {serial!r} must have 1 to 20 characters (GS1 AI 21)")
    return f"{base_url.rstrip('/')}/01/{gtin14(gtin)}/21/{quote(serial, safe='')}"


def qr_svg(uri: str) -> bytes:
    """The QR code of *uri* as SVG (error correction M, quiet zone 4)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(buffer, kind="svg", scale=4, border=4)
    return buffer.getvalue()


def qr_png(uri: str, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """The Noto Sans CJK SC face at *size*, or LabelImageError naming the Debian package."""
    for path in CJK_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size=size, index=CJK_SC_INDEX)
    raise LabelImageError("no CJK font found; install Debian's fonts-noto-cjk")


# Plain "CO2e": the Noto CJK faces have no subscript two, which drew as a box.
TEXT = {
    "zh_CN": {"title": "产品碳足迹", "unit": "kg CO2e / {unit}", "grade": "等级",
              "standard": "GB/T 24067-2024 · ISO 14067", "scan": "扫码验证"},
    "en": {"title": "Product carbon footprint", "unit": "kg CO2e per {unit}",
           "grade": "Grade", "standard": "ISO 14067 · GB/T 24067-2024", "scan": "Scan to verify"},
}


def label_png(*, value: str, declared_unit: str, grade: str, uri: str, product: str,
              locale: str = "zh_CN") -> bytes:
    """A printable label: footprint value and unit, grade, product name and the QR code."""
    words = TEXT["en" if locale == "en" else "zh_CN"]
    qr = Image.open(io.BytesIO(qr_png(uri, scale=5))).convert("RGB")
    width, height = 760, max(360, qr.height + 40)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([(4, 4), (width - 5, height - 5)], outline="#1f5c3a", width=4)
    draw.text((28, 24), words["title"], font=cjk_font(30), fill="#1f5c3a")
    draw.text((28, 70), product[:40], font=cjk_font(22), fill="#1d2a22")
    draw.text((28, 120), value, font=cjk_font(64), fill="#1d2a22")
    draw.text((28, 200), words["unit"].format(unit=declared_unit), font=cjk_font(24),
              fill="#1d2a22")
    draw.text((28, 246), f"{words['grade']}: {grade}", font=cjk_font(28), fill="#1f5c3a")
    draw.text((28, 300), words["standard"], font=cjk_font(18), fill="#55635a")
    image.paste(qr, (width - qr.width - 20, 20))
    draw.text((width - qr.width - 20 + 8, 20 + qr.height), words["scan"], font=cjk_font(18),
              fill="#55635a")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
