"""Headless Debian Chromium driven by selenium, for the listening-page tests (no browser downloads)."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")


def missing() -> str | None:
    """Why the browser tests cannot run here (None if they can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not CHROMIUM or not CHROMEDRIVER:
        return "chromium/chromedriver not installed (sudo .ci/install_browser.sh)"
    return None


def headless_chromium(download_dir: Path):
    """A headless Chromium that may play audio without a gesture, read file:// pages and download into download_dir."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1100,1400",
                "--allow-file-access-from-files"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir), "download.prompt_for_download": False,
        "download.directory_upgrade": True, "safebrowsing.enabled": False})
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    # headless Chrome honours the prefs only once downloads are allowed for the browser
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


AUDIO_DURATIONS_JS = """
const done = arguments[arguments.length - 1];
const audios = Array.from(document.querySelectorAll('audio'));
const wait = a => a.readyState >= 1 ? Promise.resolve() : new Promise(res => {
  a.addEventListener('loadedmetadata', res, {once: true});
  a.addEventListener('error', res, {once: true});
  if (a.preload !== 'auto') { a.load(); }
});
Promise.all(audios.map(wait)).then(() => done(audios.map(a => ({
  id: a.id, src: a.currentSrc || a.src, duration: a.duration, error: a.error ? a.error.code : null}))));
"""


def audio_durations(driver) -> list[dict]:
    """Every <audio> on the page once its metadata loaded (or failed): id, src, duration s, error code."""
    driver.set_script_timeout(30)
    return driver.execute_async_script(AUDIO_DURATIONS_JS)
