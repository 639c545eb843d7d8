"""`flanger`: a modulated delay line inside its own feedback loop; one voice, or a stereo pair summed to mono.

    θ_v(t) = 2π·rate·(start + t)/sr + φ + v·spread                     (voice v < voices)
    d_v(t) = clamp((centre + depth·lfo(θ_v))·sr/1000, 1, line − 2)      [ms → samples], lfo as in chorus
    w_v[t] = (1 − f)·u_v[t − ⌊d⌋] + f·u_v[t − ⌊d⌋ − 1],  f = d − ⌊d⌋     (integer taps: u_v[t − round(d)])
    u_v[t] = x[t] + fb·w_v[t]
    y[t]   = dry·x[t] + wet·mean_v w_v[t]

Every voice has its own delay line and loop: a stereo flanger averaged to mono (Calf Flanger: the
right channel's LFO `stereo` = 90° ahead, each side feeding back into itself) is two such loops,
which the chorus model (voices sharing one line and one loop) cannot represent. SoX's `phaser` is
the integer-tap case (u = in·x + decay·u[t − D], out = g·u: dry = g, wet = g·decay).

Measured on Calf Flanger (mod_rate 0.3, feedback 0.5) on 10 s of synthetic tones: the chorus model
with `learn_feedback` reached ESR 0.17 on the left channel alone (its analysis assumes no feedback,
and 60 Adam steps on 1 s did not find fb = 0.5: it stopped at 0.06); this model 7e-11 on the left
channel (centre 1.5417 ms, depth 1.000 ms, fb 0.500, rate 0.3000 Hz) and 3e-11 on the mean of both
channels (two voices, spread π/2 = the plugin's 90°).

Training: the recursion is per sample, so it runs in a compiled numba loop and is not
differentiated; gradient descent refines only dry and wet. Everything else is found by
`initialise`:

1. The chorus's delay-LFO analysis (fxcore.models.chorus_analysis) on the first
   `analysis_seconds`: rate, centre, depth, sine or triangle. With two voices the measured path
   follows one of them or jumps between them, so its phase is only a hint.
2. A grid on short excerpts: phase (12 values) × spread (one voice; or π/3…5π/3) × feedback
   (FEEDBACK_GRID), each point scored by the ESR after least-squares dry/wet.
3. Nelder–Mead over (phase, centre, depth, fb, rate, spread) from the best grid point of each
   voice count, on `excerpts` pieces spread over `fit_span_seconds` (a rate error shows as a
   phase error at the far ones), each simulated from zero state at its absolute start; the lower
   ESR wins. With `interpolation: auto` the integer taps are scored at the polished point and
   polished again if they fit better.

Streaming: the state is each voice's last `line` samples of u.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import torch
from torch import nn

from ..errors import FxcoreError
from .base import register_model
from .chorus_analysis import DelayLfoAnalysis
from .greybox_dsp import FEEDBACK_GRID, lfo_np
from .per_sample import PerSampleModel, mix_fit, polish, take_excerpts, voice_mean

SPREADS = tuple(k * math.pi / 3 for k in range(1, 6))  # the grid's LFO offsets of a second voice
PHASES = 12  # the grid's phases of voice 0
EARLY_SECONDS = 4.0  # the grid's excerpts lie in the first seconds, where a rate error has not moved the phase far
TRACK_EXCERPTS, TRACK_SECONDS, TRACK_PHASES = 16, 0.5, 48  # the LFO phase measured along the take
INTERPOLATIONS = ("linear", "integer", "auto")


@numba.njit(cache=True)
def _loop(x, t0, sr, rate, phase, centre, depth, shape, fb, integer, hist):  # pragma: no cover - compiled
    """w for x (float64) from absolute sample t0, and the new history (the last len(hist) samples of u)."""
    size = hist.shape[0]
    n = x.shape[0]
    u = np.empty(size + n)
    u[:size] = hist
    w = np.empty(n)
    for i in range(n):
        cyc = rate * (t0 + i) / sr
        th = 2.0 * math.pi * (cyc - math.floor(cyc)) + phase
        s = math.sin(th)
        uu = th / (2.0 * math.pi) - 0.25
        tri = abs(4.0 * (uu - math.floor(uu)) - 2.0) - 1.0
        d = (centre + depth * (s + shape * (tri - s))) * 1e-3 * sr
        d = min(max(d, 1.0), size - 2.0)
        pos = size + i
        if integer:
            wi = u[pos - int(math.floor(d + 0.5))]
        else:
            di = math.floor(d)
            f = d - di
            wi = (1.0 - f) * u[pos - int(di)] + f * u[pos - int(di) - 1]
        w[i] = wi
        u[pos] = x[i] + fb * wi
    return w, u[n:].copy()


@register_model("flanger")
class Flanger(DelayLfoAnalysis, PerSampleModel):
    """Modulated delay line in a feedback loop per voice; see the module docstring.

    params: rate_hz, phase, centre_ms, depth_ms, feedback, shape (0 sine … 1 triangle), spread (start
    values), voices (1; 2: a second loop whose LFO runs `spread` radians ahead, the two averaged;
    "auto": the fit picks), interpolation (linear | integer | auto), max_delay_ms, min_delay_ms
    (delay search range), analysis_seconds, frame_ms, max_slope, rate_range (the LFO analysis),
    fit_seconds (audio the polish simulates, in `excerpts` pieces spread over fit_span_seconds).
    """

    LFO_KEYS = ("rate_hz", "phase", "centre_ms", "depth_ms", "feedback", "shape")
    STRUCTURE = ("voices", "spread", "integer")

    def __init__(self, sample_rate: int, rate_hz: float = 0.5, phase: float = 0.0, centre_ms: float = 2.0,
                 depth_ms: float = 1.0, feedback: float = 0.0, shape: float = 0.0, spread: float = math.pi / 2,
                 voices: int | str = "auto", interpolation: str = "auto", max_delay_ms: float = 20.0,
                 min_delay_ms: float = 0.05, analysis_seconds: float = 20.0, frame_ms: float = 4.0,
                 max_slope: float = 0.05, rate_range: tuple[float, float] | list[float] = (0.05, 10.0),
                 fit_seconds: float = 4.0, excerpts: int = 4, fit_span_seconds: float = 30.0):
        super().__init__(sample_rate)
        if voices not in (1, 2, "auto"):
            raise FxcoreError(f"flanger: voices must be 1, 2 or 'auto', not {voices!r}")
        if interpolation not in INTERPOLATIONS:
            raise FxcoreError(f"flanger: interpolation {interpolation!r} is not one of {', '.join(INTERPOLATIONS)}")
        self.voice_choices = (1, 2) if voices == "auto" else (int(voices),)
        self.interpolation = interpolation
        self.max_delay_ms, self.min_delay_ms = float(max_delay_ms), float(min_delay_ms)
        self.line = int(math.ceil(self.max_delay_ms * 1e-3 * self.sample_rate)) + 2
        self.hist = self.line  # the chorus analysis reads both
        self.analysis_seconds, self.frame_ms = float(analysis_seconds), float(frame_ms)
        self.max_slope, self.rate_range = float(max_slope), (float(rate_range[0]), float(rate_range[1]))
        self.fit_seconds, self.excerpts = float(fit_seconds), int(excerpts)
        self.fit_span_seconds = float(fit_span_seconds)
        # The structure (not trained by gradient): buffers, saved with the model.
        self.register_buffer("lfo", torch.tensor([rate_hz, phase, centre_ms, depth_ms, feedback, shape],
                                                 dtype=torch.float64))
        self.register_buffer("voices", torch.tensor(self.voice_choices[0]))
        self.register_buffer("spread", torch.tensor(float(spread), dtype=torch.float64))
        self.register_buffer("integer", torch.tensor(interpolation == "integer"))
        self.dry = nn.Parameter(torch.tensor(1.0))
        self.wet = nn.Parameter(torch.tensor(0.5))

    @property
    def rate(self) -> torch.Tensor:
        """The LFO rate (Hz) as a one-voice tensor (the chorus analysis's diagnostics index it)."""
        return self.lfo[:1]

    @property
    def receptive_field(self) -> int:
        return self.line + 1

    def delay_curve(self, t: torch.Tensor, voice: int = 0) -> torch.Tensor:
        """Voice `voice`'s delay in samples at absolute sample indices t (float64)."""
        rate, phase, centre, depth, _, shape = self.lfo.tolist()
        theta = 2 * math.pi * np.mod(rate * t.double().numpy() / self.sample_rate, 1.0) + phase
        d = (centre + depth * lfo_np(theta + voice * float(self.spread), shape)) * 1e-3 * self.sample_rate
        return torch.from_numpy(np.clip(d, 1.0, self.line - 2.0))

    def _wet(self, x: np.ndarray, t0: int, state: Any, p: np.ndarray | None = None, voices: int | None = None,
             spread: float | None = None, integer: bool | None = None) -> tuple[np.ndarray, list]:
        """(mean of the voices' taps for x from absolute sample t0, their new histories)."""
        p = self.lfo.numpy() if p is None else p
        nv = int(self.voices) if voices is None else voices
        spread = float(self.spread) if spread is None else spread
        integer = bool(self.integer) if integer is None else integer
        state = state if state is not None else [np.zeros(self.line)] * nv
        x = np.asarray(x, np.float64)
        return voice_mean(lambda v, hist: _loop(x, float(t0), float(self.sample_rate), p[0], p[1] + v * spread, p[2],
                                                p[3], p[5], p[4], integer, hist), state)

    # ------------------------------------------------------------------ analysis

    def _residual(self, pieces: list[tuple[int, np.ndarray, np.ndarray]], p: np.ndarray, voices: int, spread: float,
                  integer: bool, settle: int) -> tuple[float, float, float]:
        """(ESR, dry, wet) with least-squares dry/wet over excerpts (start, x, y), each from zero state."""
        return mix_fit(pieces, settle, lambda t0, x: self._wet(x, t0, None, p, voices, spread, integer)[0])

    def _polish(self, pieces: list, p: np.ndarray, voices: int, spread: float, integer: bool,
                settle: int) -> tuple[np.ndarray, float, float]:
        """Nelder–Mead on (phase, centre, depth, feedback, rate, spread if 2 voices): (p, spread, ESR)."""
        def unpack(v: np.ndarray) -> tuple[np.ndarray, float]:
            q = np.array([p[0] * (1.0 + 1e-3 * v[4]), v[0], v[1], abs(v[2]), float(np.clip(v[3], -0.95, 0.95)),
                          p[5]])
            return q, (float(v[5]) if voices == 2 else 0.0)

        def cost(v: np.ndarray) -> float:
            q, sp = unpack(v)
            return self._residual(pieces, q, voices, sp, integer, settle)[0]

        start = np.array([p[1], p[2], p[3], p[4], 0.0] + ([spread] if voices == 2 else []))
        steps = [0.2, 0.1 * max(p[2], 0.1), 0.1 * max(p[3], 0.1), 0.1, 0.5] + ([0.3] if voices == 2 else [])
        v, esr = polish(cost, start, steps)
        q, sp = unpack(v)
        q[1] = float(np.mod(q[1], 2 * np.pi))
        return q, sp, esr

    def _pieces(self, clean: np.ndarray, target: np.ndarray, seconds: float, span: int) -> list:
        """`excerpts` pieces of `seconds` in all, spread evenly over the first `span` samples."""
        length = max(1, int(seconds * self.sample_rate / max(self.excerpts, 1)))
        return take_excerpts(clean, target, self.excerpts, length, span)

    def _track_phase(self, clean: np.ndarray, target: np.ndarray, p: np.ndarray, voices: int, spread: float,
                     integer: bool, span: int) -> np.ndarray:
        """p with rate and phase from the LFO phase measured in TRACK_EXCERPTS excerpts over the first `span` samples.

        Each excerpt's phase is the best of TRACK_PHASES (the rest of p held); a rate error δ makes
        them drift as φ_k = φ + 2π·δ·t_k, so a line through the unwrapped phases (excerpts whose best
        fit is no better than their median phase ignored) gives rate + δ and φ.
        """
        sr = self.sample_rate
        m = int(TRACK_SECONDS * sr)
        grid = p[1] + 2 * np.pi * np.arange(TRACK_PHASES) / TRACK_PHASES
        settle = min(self.line, m // 4)
        times, phases, keep = [], [], []
        for piece in take_excerpts(clean, target, TRACK_EXCERPTS, m, span):
            errs = np.array([self._residual([piece], np.array([p[0], ph, *p[2:]]), voices, spread, integer, settle)[0]
                             for ph in grid])
            times.append(piece[0] / sr)
            phases.append(grid[int(np.argmin(errs))])
            keep.append(errs.min() < 0.5 * np.median(errs))
        t, ph = np.array(times)[keep], np.unwrap(np.array(phases)[keep])
        if len(t) < 3:
            return p
        slope, icept = np.polyfit(t, ph, 1)
        return np.array([p[0] + slope / (2 * np.pi), float(np.mod(icept, 2 * np.pi)), *p[2:]])

    def estimate(self, clean: np.ndarray, target: np.ndarray) -> dict[str, Any]:
        """LFO, feedback, voices, taps and mix measured from a pair starting at its track's sample 0."""
        sr = self.sample_rate
        n = min(len(clean), len(target))
        q = DelayLfoAnalysis.estimate(self, clean, target)
        span = min(n, int(self.fit_span_seconds * sr))
        early = self._pieces(clean, target, 1.0, min(span, int(EARLY_SECONDS * sr)))
        pieces = self._pieces(clean, target, self.fit_seconds, span)
        settle = min(self.line, len(pieces[0][1]) // 4)
        integer = self.interpolation == "integer"
        best: dict[int, tuple[float, np.ndarray, float]] = {}
        for voices in self.voice_choices:
            for spread in (SPREADS if voices == 2 else (0.0,)):
                for j in range(PHASES):
                    for fb in FEEDBACK_GRID:
                        p = np.array([q["rate_hz"], q["phase"] + 2 * math.pi * j / PHASES, q["centre_ms"],
                                      q["depth_ms"], fb, q["shape"]])
                        esr = self._residual(early, p, voices, spread, integer, settle)[0]
                        if esr < best.get(voices, (math.inf,))[0]:
                            best[voices] = (esr, p, spread)
        fits = []
        for voices, (_, p0, spread0) in best.items():
            p0 = self._track_phase(clean, target, p0, voices, spread0, integer, span)
            p, spread, esr = self._polish(pieces, p0, voices, spread0, integer, settle)
            fits.append((esr, voices, p, spread, integer))
            if self.interpolation == "auto" and self._residual(pieces, p, voices, spread, True, settle)[0] < esr:
                p, spread, esr = self._polish(pieces, p, voices, spread, True, settle)
                fits.append((esr, voices, p, spread, True))
        esr, voices, p, spread, integer = min(fits, key=lambda f: f[0])
        esr, dry, wet = self._residual(pieces, p, voices, spread, integer, settle)
        return {"rate_hz": p[0], "phase": p[1], "centre_ms": p[2], "depth_ms": p[3], "feedback": p[4],
                "shape": p[5], "voices": voices, "spread": spread, "integer": integer, "dry": dry, "wet": wet,
                "fit_esr": esr}
