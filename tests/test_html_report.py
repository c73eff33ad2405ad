"""report.html: one self-contained page per run, written at the end of training and by
``ganframe report``; and its rendering in a real headless browser where Chromium is installed."""

from __future__ import annotations

import base64
import io
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from ganframe.html_report import write_report


class _Page(HTMLParser):
    """Every tag with its attributes, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _images(page: _Page) -> list[Image.Image]:
    """The page's images, decoded from their data: URIs (a figure that is not embedded fails here)."""
    decoded = []
    for tag, attrs in page.tags:
        if tag == "img":
            header, _, payload = attrs["src"].partition(",")
            assert header in ("data:image/png;base64", "data:image/gif;base64"), header
            image = Image.open(io.BytesIO(base64.b64decode(payload)))
            image.load()
            decoded.append(image)
    return decoded


def test_train_writes_a_self_contained_report(trained_run):
    text = (trained_run / "report.html").read_text()
    page = _Page(text)
    assert [tag for tag, _ in page.tags if tag in ("script", "link", "iframe")] == []
    assert "http://" not in text and "https://" not in text  # nothing to fetch: works offline, as a mail attachment
    images = _images(page)
    assert len(images) == 3 and all(image.width > 100 for image in images)  # losses, moments, histogram
    words = " ".join(page.text)
    report = json.loads((trained_run / "report.json").read_text())
    for name, value in report["metrics"].items():
        assert name in words and f"{value:.4g}" in words
    for fact in ("seed", "device", "torch version", "python version", "training time", report["finished"]):
        assert fact in words
    assert (trained_run / "config.toml").read_text().strip().splitlines()[0] in words


def test_report_command_rewrites_the_page(cli, run_copy):
    (run_copy / "report.html").unlink()
    result = cli("report", run_copy)
    assert result.code == 0 and result.out.strip() == str(run_copy / "report.html")
    assert (run_copy / "report.html").is_file()
    elsewhere = run_copy.parent / "elsewhere.html"
    assert cli("report", run_copy, "-o", elsewhere).code == 0
    assert elsewhere.read_text().startswith("<!DOCTYPE html>")


def test_report_of_an_unfinished_run_says_so(run_copy):
    (run_copy / "report.json").unlink()
    text = write_report(run_copy).read_text()
    assert "has not finished" in text and "<img" in text  # the figures it has are still shown


def test_report_off_writes_no_page(make_experiment, tmp_path):
    run = tmp_path / "run"
    make_experiment(logging__report=False).fit(run)
    assert not (run / "report.html").exists() and (run / "plots" / "losses.png").is_file()


@pytest.mark.parametrize(
    "make_target, message",
    [
        (lambda tmp: tmp / "missing", "is not a directory"),
        (lambda tmp: tmp, "is neither a ganframe run"),
    ],
)
def test_report_errors_are_one_line(cli, assert_usage_error, tmp_path, make_target, message):
    line = assert_usage_error(cli("report", make_target(tmp_path)))
    assert message in line


def test_report_to_an_unwritable_place_is_one_line(cli, assert_usage_error, run_copy, tmp_path):
    line = assert_usage_error(cli("report", run_copy, "-o", tmp_path / "no" / "such" / "dir.html"))
    assert "does not exist" in line


# -- in a real browser ----------------------------------------------------------------------------
def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


needs_chromium = pytest.mark.skipif(
    _chromium() is None, reason="needs Chromium and ChromeDriver (Debian: apt-get install chromium chromium-driver)"
)


@needs_chromium
def test_report_renders_in_headless_chromium(trained_run, tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    browser, driver_path = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    try:
        driver.get((trained_run / "report.html").resolve().as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight,"
            " i.getBoundingClientRect().width]);"
        )
        headings = driver.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent);")
        driver.save_screenshot(str(tmp_path / "report.png"))
    finally:
        driver.quit()
    assert headings == ["Metrics", "Run", "Figures", "Configuration"]
    assert len(images) == 3
    for complete, width, height, shown_width in images:
        assert complete and width > 100 and height > 100 and shown_width > 100  # decoded and laid out
    with Image.open(tmp_path / "report.png") as shot:
        assert shot.width >= 1000


def test_an_unreadable_figure_is_named_and_the_rest_shown(run_copy, monkeypatch):
    original = Path.read_bytes

    def read_bytes(self):
        if self.name == "moments.png":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    text = write_report(run_copy).read_text()
    assert "moments.png could not be read: Permission denied" in text
    assert text.count("<img") == 2
