"""The listening pages in a real browser: headless Debian Chromium on a real tiny Snakemake run, from file://."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from scipy.stats import binomtest

from .browser import audio_durations, headless_chromium, missing
from .conftest import REPO
from .test_workflow import snakemake

pytestmark = [pytest.mark.slow, pytest.mark.system,
              pytest.mark.skipif(missing() is not None, reason=missing() or "")]

EFFECTS = ("fuzz", "reverb")  # config/test.yaml
CORRECT_TRIALS = {1, 2, 4, 5, 7, 8, 9, 11, 12}  # answered right on purpose: 9 of 12 (p = 299/4096)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """results/ of a real run of config/test.yaml (rule all: reports, summary, listening pages, index)."""
    work = tmp_path_factory.mktemp("listen")
    res = snakemake(work, REPO / "config" / "test.yaml", "--cores", "2")
    assert res.returncode == 0, res.stderr[-4000:]
    return work / "results"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    driver = headless_chromium(downloads)
    yield driver
    driver.quit()


def by_id(driver, name):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, name)


@pytest.mark.parametrize("effect", EFFECTS)
def test_every_audio_element_loads_from_disk(results, browser, effect):
    browser.get((results / effect / "listen.html").as_uri())
    audios = audio_durations(browser)
    assert len(audios) == 3 * 3 + 3  # 3 excerpts × clean/effect/model, + A, B, X of the ABX runner
    for a in audios:
        assert a["error"] is None and a["duration"] > 0, a
        assert a["src"].startswith("file://") and Path(a["src"][len("file://"):]).is_file()
    manifest = json.loads((results / effect / "listen" / "manifest.json").read_text())
    for a, ex in zip(audios[3:], [e for e in manifest["excerpts"] for _ in range(3)]):
        assert a["duration"] == pytest.approx(ex["end_s"] - ex["start_s"], abs=0.01)
    for img in browser.execute_script("return Array.from(document.images).map(i => [i.src, i.naturalWidth])"):
        assert img[1] > 0, img  # every mel spectrogram PNG decoded


def test_an_abx_run_scores_and_downloads_the_answers_given(results, browser, downloads):
    browser.get((results / "fuzz" / "listen.html").as_uri())
    clicks = []
    for trial in range(1, 13):
        assert by_id(browser, "abx-trial").text.startswith(f"Trial {trial} of 12")
        src = {k: by_id(browser, f"abx-{k}").get_attribute("src") for k in "abx"}
        assert {src["a"].rsplit("_", 1)[1], src["b"].rsplit("_", 1)[1]} == {"effect.wav", "model.wav"}
        truth = "A" if src["x"] == src["a"] else "B"
        said = truth if trial in CORRECT_TRIALS else ("B" if truth == "A" else "A")
        by_id(browser, f"abx-is-{said.lower()}").click()
        clicks.append((said, src["x"].rsplit("_", 1)[1][:-4]))
    k, n = len(CORRECT_TRIALS), 12
    expected_p = binomtest(k, n, 0.5, alternative="greater").pvalue  # P(K ≥ 9 | 12, ½) = 299/4096
    assert by_id(browser, "abx-score").text == f"{k} / {n} correct"
    assert float(by_id(browser, "abx-p").get_attribute("data-p")) == pytest.approx(expected_p, rel=1e-12)
    assert by_id(browser, "abx-p").text == f"p = {expected_p:#.3g}"  # JS toPrecision(3) keeps the zero
    if os.environ.get("FXCORE_ABX_SCREENSHOT"):  # how docs/abx.png is made (README)
        browser.save_screenshot(os.environ["FXCORE_ABX_SCREENSHOT"])

    by_id(browser, "abx-download").click()
    deadline = time.time() + 20
    while time.time() < deadline and not [p for p in downloads.glob("abx-fuzz-*.json")]:
        time.sleep(0.2)
    files = list(downloads.glob("abx-fuzz-*.json"))
    assert len(files) == 1, list(downloads.iterdir())
    saved = json.loads(files[0].read_text())
    assert (saved["effect"], saved["trials"], saved["correct"]) == ("fuzz", n, k)
    assert saved["p_value"] == pytest.approx(expected_p, rel=1e-12)
    assert [(a["answer"], a["x"]) for a in saved["answers"]] == clicks
    assert [a["trial"] for a in saved["answers"] if a["correct"]] == sorted(CORRECT_TRIALS)
    kept = json.loads(browser.execute_script("return localStorage.getItem('fxcore-abx-fuzz')"))
    assert kept[-1] == saved  # the same record stays in the browser


def test_the_index_links_resolve_and_its_columns_sort(results, browser):
    page = results / "index.html"
    browser.get(page.as_uri())
    hrefs = browser.execute_script("return Array.from(document.links).map(a => a.href)")
    for effect in EFFECTS:
        for name in ("report.pdf", "listen.html"):
            assert (results / effect / name).as_uri() in hrefs
    for href in hrefs:
        assert href.startswith("file://") and Path(href[len("file://"):]).is_file(), href
    for effect in EFFECTS:  # and each listening page's own links
        html = (results / effect / "listen.html").read_text()
        for rel in re.findall(r'(?:src|href)="([^"#]+)"', html):
            assert (results / effect / rel).is_file(), rel
    summary = {r.split(",")[0]: r.split(",") for r in (results / "summary.csv").read_text().splitlines()[1:]}
    assert set(summary) == set(EFFECTS)

    def column(header):
        heads = browser.execute_script("return Array.from(document.querySelectorAll('#results th')).map(t => t.textContent)")
        i = heads.index(header)
        return browser.execute_script(
            f"return Array.from(document.querySelectorAll('#results tbody tr')).map(r => r.cells[{i}].dataset.value)"), i

    from selenium.webdriver.common.by import By

    esr, i = column("ESR")
    header = browser.find_elements(By.CSS_SELECTOR, "#results th")[i]
    header.click()
    up = [float(v) for v in column("ESR")[0]]
    assert up == sorted(up) and len(up) == len(EFFECTS)
    header.click()
    assert [float(v) for v in column("ESR")[0]] == sorted(up, reverse=True)
    browser.find_elements(By.CSS_SELECTOR, "#results th")[0].click()
    assert column("effect")[0] == sorted(EFFECTS)
