"""HTML for results/<effect>/listen.html: players, mel spectrograms, the ABX runner and the proxy, in one file."""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any

from .proxy import LOUDNESS_JND_LU, MEL_JND_DB

KINDS = ("clean", "effect", "model")


def asset(name: str) -> str:
    """The text of a file shipped beside this module (abx.js, page.css): inlined, never linked."""
    return resources.files("fxcore.listen").joinpath(name).read_text()


def script_json(obj: Any) -> str:
    """JSON safe inside <script>: '</' cannot close the element."""
    return json.dumps(obj).replace("</", "<\\/")


def fmt(x: float) -> str:
    """A metric for a table cell: 3 significant digits."""
    return f"{x:.3g}"


def _excerpt_html(ex: dict[str, Any]) -> str:
    players = "".join(
        f'<figure><figcaption class="{k}">{k}</figcaption>'
        f'<audio controls preload="auto" src="{escape(ex["files"][k])}"></audio></figure>' for k in KINDS)
    return (f'<section class="excerpt" id="excerpt-{escape(ex["name"])}">'
            f'<h3>{escape(ex["name"])}: {ex["start_s"]:.2f}–{ex["end_s"]:.2f} s — {escape(ex["why"])}</h3>'
            f'<p>played at {ex["level_lufs"]:.1f} LUFS · ESR model {fmt(ex["esr"])} (clean input {fmt(ex["esr_clean"])}); '
            f'mel distance model {fmt(ex["mel_db"])} dB (clean input {fmt(ex["mel_db_clean"])} dB)</p>'
            f'<div class="players">{players}</div>'
            f'<img class="mel" src="{escape(ex["mel_png"])}" alt="mel spectrograms of {escape(ex["name"])}: '
            f'clean, effect, model">'
            '</section>')


def listen_html(manifest: dict[str, Any]) -> str:
    """The whole page from the listen manifest (excerpts, metrics, proxy, trials)."""
    m, p = manifest["metrics"], manifest["proxy"]
    abx_data = {"effect": manifest["effect"], "model": manifest["model"], "trials": manifest["trials"],
                "level_lufs": manifest["level_lufs"],
                "excerpts": [{"name": e["name"], "files": {k: e["files"][k] for k in ("effect", "model")}}
                             for e in manifest["excerpts"]]}
    excerpts = "".join(_excerpt_html(e) for e in manifest["excerpts"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fxcore — listen: {escape(manifest["effect"])}</title>
<style>{asset("page.css")}</style>
</head><body>
<p class="note"><a href="../index.html">all results</a> · <a href="report.pdf">report.pdf</a></p>
<h1>Listen: {escape(manifest["effect"])} <span class="note">model {escape(manifest["model"])}</span></h1>
<p>Whole test split ({manifest["test_seconds"]:.1f} s): ESR model {fmt(m["esr"])} (clean input {fmt(m["esr_clean"])}),
mel distance {fmt(m["mel_distance"])} dB (clean input {fmt(m["mel_distance_clean"])} dB),
ΔLUFS {fmt(m["lufs_diff"])} (clean input {fmt(m["lufs_diff_clean"])}).</p>

<h2>Blind ABX test</h2>
<div id="abx-box">
<p class="note">A and B are the real effect and the model, in a random order each trial; X is one of them at
random. Listen as often as you like, then say which one X is. {manifest["trials"]} trials. Guessing scores half on
average; the page gives the chance of your score or better by guessing (one-sided binomial p).</p>
<div id="abx-run">
<p id="abx-trial"></p>
<div class="players">
<figure><figcaption>A</figcaption><audio id="abx-a" controls preload="auto"></audio></figure>
<figure><figcaption>B</figcaption><audio id="abx-b" controls preload="auto"></audio></figure>
<figure><figcaption>X</figcaption><audio id="abx-x" controls preload="auto"></audio></figure>
</div>
<button id="abx-is-a" type="button">X is A</button><button id="abx-is-b" type="button">X is B</button>
</div>
<div id="abx-result" hidden>
<p><span id="abx-score"></span> · <span id="abx-p"></span></p>
<p id="abx-verdict"></p>
<p><a id="abx-download" href="#">Download the answers (JSON)</a> · <span id="abx-kept" class="note"></span></p>
<button id="abx-restart" type="button">New run</button>
</div>
</div>

<h2>Excerpts</h2>
<p class="note">{len(manifest["excerpts"])} excerpts of {manifest["excerpt_seconds"]:.1f} s from the test split (the
tracks' test parts joined end to end), clean, effect and model each loudness-matched to
{manifest["target_lufs"]:.0f} LUFS (ITU-R BS.1770 integrated loudness via pyloudnorm; −23 LUFS is the EBU R128
level; all three are lowered together only if a peak would pass −1 dBFS), so that level alone does not give the model away. ESR and mel
distance are against the effect, on the excerpt before matching; the spectrograms show the levels as rendered.</p>
{excerpts}

<h2>Automated proxy: how much is below a just-noticeable difference?</h2>
<table>
<tr><th class="text"></th><th>1-s windows below JND</th></tr>
<tr><td class="text">model vs effect</td><td id="proxy-model">{100 * p["below_jnd"]:.0f} %</td></tr>
<tr><td class="text">clean input vs effect</td><td id="proxy-clean">{100 * p["below_jnd_clean"]:.0f} %</td></tr>
</table>
<p class="note">Share of the {p["windows"]} windows of {p["window_seconds"]:g} s of the test split whose mel distance is
below {MEL_JND_DB:g} dB (about the 1 dB average spectral distortion long used as the bound of transparency, Paliwal
&amp; Atal 1993) and whose loudness difference is below {LOUDNESS_JND_LU:g} LU (the ≈1 dB level JND of broadband
sounds, Zwicker &amp; Fastl, <i>Psychoacoustics</i>, ch. 7). A proxy, not a listener: it ignores masking, timing
and phase. The ABX test above is the judgement.</p>
<script type="application/json" id="abx-data">{script_json(abx_data)}</script>
<script>{asset("abx.js")}</script>
</body></html>
"""
