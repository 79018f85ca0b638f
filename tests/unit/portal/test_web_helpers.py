"""The small pure helpers views share: download names and redirect targets."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from portal.web import attachment, local_path


class TestAttachment:
    @pytest.mark.parametrize(("name", "fallback"), [
        ("报告.pdf", "download.pdf"), ("😀 photo.png", "photo.png"), ("plain.csv", "plain.csv"),
        ("..", "download"), ("检测报告 v2 😀.docx", "v2.docx"),
    ])
    def test_any_name_keeps_its_utf8_form_and_gets_an_ascii_fallback(
            self, name: str, fallback: str) -> None:
        header = attachment(name)
        assert header.startswith(f'attachment; filename="{fallback}"; filename*=UTF-8\'\'')
        assert unquote(header.split("''", 1)[1]) == name.strip(". ") or name == ".."
        assert header.isascii()

    def test_quotes_and_line_breaks_cannot_break_the_header(self) -> None:
        header = attachment('a"b\r\nSet-Cookie: x=1.txt')
        assert "\r" not in header
        assert "\n" not in header
        assert header.count('"') == 2
        assert unquote(header.split("''", 1)[1]) == 'a"bSet-Cookie: x=1.txt'


class TestLocalPath:
    @pytest.mark.parametrize("target", ["/", "/products/3?tab=model#x", "/%E4%BA%A7%E5%93%81"])
    def test_paths_on_this_site_are_kept(self, target: str) -> None:
        assert local_path(target) == target

    @pytest.mark.parametrize("target", [
        None, "", "//h", "/\t/h", "/%09/h", "/%0d%0a/h", "\\\\h", "/\\h", "/%5ch", "http://h/",
        "h", "/%2f%2fh", "/\u0085/h", "/x" * 1001])
    def test_anything_a_browser_could_read_as_another_site_is_refused(
            self, target: str | None) -> None:
        assert local_path(target) is None
