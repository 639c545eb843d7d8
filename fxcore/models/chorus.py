"""`chorus`: a modulated fractional delay line (chorus, flanger, vibrato) with an absolute-time LFO.

    θ_k(t) = 2π·(rate_k·(start + t)/sr) + φ_k                          (voice k < voices)
    lfo(θ) = sin θ + s_k·(tri θ − sin θ)            (s = 0 sine, s = 1 triangle; learned)
    d_k(t) = clamp(centre_k + depth_k·lfo(θ_k(t)), 1 sample (0 with a wrap), max_delay)   [ms → samples]
    w_k[t] = (1 − f)·v[t − ⌊d_k⌋] + f·v[t − ⌊d_k⌋ − 1],  f = d_k − ⌊d_k⌋  (linear interpolation)
    w[t]   = w_0[t] + Σ_{k≥1} g_k·w_k[t]
    v[t]   = x[t] + fb·w[t]                        (fb only with learn_feedback)
    y[t]   = Σ_k a[k]·x[t−k] + Σ_k b[k]·w[t−k]      (k < filter_taps; a[0] = dry, b[0] = wet)

`voices > 1`: several taps on one delay line, each with its own LFO (a multi-voice chorus, or a
stereo chorus's two sides summed to mono: Calf's MultiChorus is 2 voices × 2 sides at other LFO
phases). `initialise` adds them one at a time, each the analysis below run once per delay band
(`delay_windows`: 3× wide, 2× apart) on what the voices before leave unexplained, or voice 0's LFO
at another phase (16 offsets), or a tap of the tap map (fxcore.models.tap_map: per-frame impulse
responses, the rate from their periodicity, sinusoidal tap curves by a Hough search) — whichever
least-squares mix leaves the smallest residual; the taps the map found at one rate, taken together,
replace that greedy set when they fit the analysis span better (Calf's MultiChorus: four taps in
one band at one rate, which voice by voice the analysis does not separate). Adam then refines all
of them. Over the full range the best single delay per frame jumps between
voices and the path through it is nobody's curve (SoX's 3-voice chorus: 3.0 ± 5.4 ms at 0.094 Hz;
per band each of its voices is found to 0.03 ms and 3e-4 Hz).
`refine_span_seconds` > `refine_seconds`: after the refinement on the first seconds, a second one
(L-BFGS) on excerpts spread over that span pins the rates (see `refine`).

`interpolation: integer` reads w[t] = v[t − round(d)] instead (SoX's `chorus` and `flanger` and
many cheap delay lines have integer-sample taps; gradients pass straight through as if linear);
`auto` decides after the analysis, by which of the two the least-squares mix fits better — the
integer taps with their buffer wrap (below), which linear taps cannot have (they clamp at 1 sample).
`wrap_max_ms > 0` (integer taps, no feedback): a circular buffer read before it is written — SoX's
`chorus` — returns its *oldest* sample, `wrap` samples back, where the rounded delay is 0; found
by `find_wrap` (measured: SoX `chorus 0.7 0.9 40 0.5 0.4 2 -s` sweeps 0…96 samples and reads
2016 back 4.6 % of the time; simulated with the wrap it matches SoX to ESR 1.6e-4, without 0.024).
`filter_taps > 1` gives the dry and the wet path each a short FIR: an EQ before or after the
chorus (y = E(chorus(x)) ≈ chorus(E(x)), the delay moving slowly), or a tone filter on the wet
path only (Calf's MultiChorus). Given the delay curve, y is linear in (a, b), so both FIRs come
from least squares along the analysed curve (`fit_mix`) before Adam refines everything.

This is JUCE's dsp::Chorus (pedalboard.Chorus): its LFO is an Oscillator producing sin(phase − π)
= −sin(2π·rate·t) from the start of the track; its delay is
max(1, centre_ms + 20·(0.5·depth)·lfo) ms read from a `DelayLine` with linear interpolation; its
dry/wet mix is linear. With pedalboard's defaults (depth 0.25, centre 7 ms) the delay sweeps
7 ± 2.5 ms — measured: the model with rate 1 Hz, φ = π, depth 2.5 ms reproduces the first
second of a white-noise render to an ESR of 3e-6; after that the float32 phase accumulator of
JUCE's oscillator drifts (the effective rate is ≈ 1.0006 Hz), which the learned rate absorbs.
JUCE computes a feedback term but then overwrites it, so its feedback parameter has no effect;
`learn_feedback` is off by default (when on, the recursion runs in blocks shorter than the
shortest delay, so each block only reads samples that already exist).

Gradients: ∂w/∂d = v[t−⌊d⌋−1] − v[t−⌊d⌋] (the local slope), meaningful only within about half a
period of the highest frequency that matters. A loss surface in (rate, φ) is highly multimodal,
so `initialise` finds the LFO by analysis first:

1. Per frame of `frame_ms` (hop half a frame), the relative residual of y ≈ a·x + b·x(t − d) for
   every integer d in [min_delay, max_delay] — all lags at once by FFT cross-correlation — gives
   a cost map C_f(d): low at the true delay, and at aliases a pitch period away for tonal input.
   a and b are *global* (first from a coarse grid minimising the mean best-delay cost, later by
   least squares along the fitted curve): with per-frame gains a single sinusoid fits any delay.
2. A Viterbi path through C (steps ≤ `max_slope` samples per sample, small squared-step penalty)
   follows the true, smooth delay curve; aliases jump when the note changes.
3. The LFO through that path: for a grid of rates fine enough that the phase drifts < 1/8 cycle
   over the excerpt (within `rate_range`), a trimmed least-squares sinusoid (centre + α·cos +
   β·sin) through the path — the spectral peak of the delay modulation, robust to outliers —
   scored by Σ_f min(C_f(d(t_f)), 1); Nelder–Mead over (centre, depth, rate, φ) on that score
   from the three best. Steps 1–3 run twice (the second time with least-squares gains).
4. dry and wet (or the two FIRs) by least squares; then `refine_steps` Adam steps of the model
   itself on the first `refine_seconds` (full batch, plain MSE) polish every parameter to
   sub-sample accuracy. With `interpolation: auto`, the mix is then fitted again by least squares
   with integer and with linear taps along the refined curve; the better one is kept (and, if
   integer, refined once more).

The analysis uses the first `analysis_seconds` of the training audio and assumes they are one
track heard from its sample 0 (true for fxcore datasets: every track's train region starts at its
first sample, and `initialise` receives them joined in order). Each track's LFO restarts at its
own start; training windows carry `start`, so later tracks refine the same parameters.

Parametrisation for a single Adam learning rate: centre and depth in ms, φ in radians,
rate = rate_ref·(1 + 0.01·ρ) (a step of 1e-3 in ρ moves the phase by 2π·1e-5 per LFO cycle).

The analysis, refinement and diagnostics below describe voice 0; extra voices are as above. The
analysis and diagnostics live in chorus_analysis.py, the fit (voices, mix, refinement, `initialise`)
in chorus_fit.py; this module holds the model itself.

Streaming: the state is the last max_delay + 2 + filter_taps − 1 samples of v (and, with
feedback and filters, the last filter_taps − 1 of x); the receptive field (without feedback) is
that many samples.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .base import EffectModel, register_model
from .chorus_analysis import DelayLfoAnalysis
from .chorus_fit import ChorusFit
from .greybox_dsp import history, tail

RATE_SCALE = 0.01
INTERPOLATIONS = ("linear", "integer", "auto")
# With feedback, delays shorter than MIN_BLOCK + 1 samples (a flanger sweeping to 0 ms: SoX `flanger
# 0 2`) are solved by fixed-point iteration over the whole chunk: block by block they would be
# per-sample Python loops (a sox_flanger row's 1 s refinement did not finish in minutes; the
# iteration costs FIXED_POINT_MAX_ITER gathers at most).
MIN_BLOCK, FIXED_POINT_TOL, FIXED_POINT_MAX_ITER = 32, 1e-7, 200


def triangle(theta: torch.Tensor) -> torch.Tensor:
    """Triangle wave in phase with sin θ (peak +1 at θ = π/2)."""
    u = torch.remainder(theta / (2 * math.pi) - 0.25, 1.0)
    return torch.abs(4.0 * u - 2.0) - 1.0


@register_model("chorus")
class Chorus(ChorusFit, DelayLfoAnalysis, EffectModel):
    """Modulated delay line with a learned LFO; see the module docstring.

    params: rate_hz, depth_ms, centre_ms, phase (start values before `initialise`),
    max_delay_ms, min_delay_ms (delay search range), learn_feedback, analysis_seconds,
    frame_ms, max_slope (samples/sample), rate_range (Hz), refine_steps, refine_seconds,
    interpolation (linear | integer | auto), filter_taps (FIR length of the dry and wet paths),
    voices (taps on the delay line, each with its own LFO), wrap_max_ms (longest buffer wrap searched),
    refine_span_seconds (the refinement's excerpts spread over this much of the first track; 0: none).
    """

    def __init__(self, sample_rate: int, rate_hz: float = 1.0, depth_ms: float = 2.0, centre_ms: float = 7.0,
                 phase: float = 0.0, max_delay_ms: float = 30.0, min_delay_ms: float = 1.0,
                 learn_feedback: bool = False, analysis_seconds: float = 8.0, frame_ms: float = 4.0,
                 max_slope: float = 0.05, rate_range: tuple[float, float] | list[float] = (0.05, 10.0),
                 refine_steps: int = 150, refine_seconds: float = 3.0, interpolation: str = "linear",
                 filter_taps: int = 1, voices: int = 1, wrap_max_ms: float = 0.0,
                 refine_span_seconds: float = 0.0):
        super().__init__(sample_rate)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"chorus: interpolation {interpolation!r} is not one of {', '.join(INTERPOLATIONS)}")
        if not 1 <= int(filter_taps) <= 512:
            raise ValueError(f"chorus: filter_taps {filter_taps} must be 1…512 (1 = plain dry/wet gains)")
        if not 1 <= int(voices) <= 8:
            raise ValueError(f"chorus: voices {voices} must be 1…8")
        self.interpolation, self.taps, self.voices = interpolation, int(filter_taps), int(voices)
        self.max_delay_ms, self.min_delay_ms = float(max_delay_ms), float(min_delay_ms)
        self.line = int(math.ceil(max_delay_ms * 1e-3 * self.sample_rate)) + 2  # the delays' range
        self.wrap_max_ms = float(wrap_max_ms)
        self.hist = max(self.line, int(math.ceil(self.wrap_max_ms * 1e-3 * self.sample_rate)) + 2)
        self.learn_feedback = bool(learn_feedback)
        self.analysis_seconds, self.frame_ms = float(analysis_seconds), float(frame_ms)
        self.max_slope, self.rate_range = float(max_slope), (float(rate_range[0]), float(rate_range[1]))
        self.refine_steps, self.refine_seconds = int(refine_steps), float(refine_seconds)
        self.refine_span_seconds = float(refine_span_seconds)
        v = self.voices
        self.register_buffer("rate_ref", torch.full((v,), float(rate_hz), dtype=torch.float64))
        self.rate_raw = nn.Parameter(torch.zeros(v))
        self.phase = nn.Parameter(torch.full((v,), float(phase)))
        self.depth_ms = nn.Parameter(torch.full((v,), float(depth_ms)))
        self.centre_ms = nn.Parameter(torch.full((v,), float(centre_ms)))
        self.shape = nn.Parameter(torch.zeros(v))
        self.voice_gain = nn.Parameter(torch.zeros(v - 1), requires_grad=v > 1)  # g_1… (silent until initialised)
        self.dry = nn.Parameter(torch.tensor(0.5))
        self.wet = nn.Parameter(torch.tensor(0.5))
        self.fb_raw = nn.Parameter(torch.tensor(0.0), requires_grad=self.learn_feedback)
        # a[1:], b[1:] of the docstring; empty (and not trained) with plain dry/wet gains
        self.dry_fir = nn.Parameter(torch.zeros(self.taps - 1), requires_grad=self.taps > 1)
        self.wet_fir = nn.Parameter(torch.zeros(self.taps - 1), requires_grad=self.taps > 1)
        self.register_buffer("integer", torch.tensor(interpolation == "integer"))
        self.register_buffer("wrap", torch.tensor(0))  # samples back read at a rounded delay of 0 (0: none)
        self.span = self.hist + self.taps - 1  # v history: the delay line plus the FIRs' past outputs

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # model files written before `wrap` existed load as they behaved then
        state_dict.setdefault(prefix + "wrap", torch.tensor(0))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ the model

    @property
    def rate(self) -> torch.Tensor:
        return self.rate_ref * (1.0 + RATE_SCALE * self.rate_raw.double())

    @property
    def feedback(self) -> torch.Tensor:
        return 0.95 * torch.tanh(self.fb_raw) if self.learn_feedback else self.fb_raw.new_zeros(())

    def lfo(self, theta: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
        s = torch.sin(theta)
        return s + shape * (triangle(theta) - s)

    def delay_curve(self, t: torch.Tensor, voice: int = 0) -> torch.Tensor:
        """One voice's delay in samples at absolute sample indices t (any shape, integer or float)."""
        cycles = self.rate[voice] * (t.double() / self.sample_rate)
        theta = (2 * math.pi * torch.remainder(cycles, 1.0)).float() + self.phase[voice]
        ms = self.centre_ms[voice] + self.depth_ms[voice] * self.lfo(theta, self.shape[voice])
        return (ms * (1e-3 * self.sample_rate)).clamp(0.0 if int(self.wrap) else 1.0, self.line - 2.0)

    @property
    def receptive_field(self) -> int:
        return self.span + 1

    def _tap(self, vv: torch.Tensor, d: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        """v at positions base − d of the buffer vv (B, ·), linear or rounded (straight-through) taps."""
        # Split d into integer and fraction first, so f keeps float32 precision however long the chunk is.
        d_int = torch.floor(d.detach())
        f = 1.0 - (d - d_int)  # ∂f/∂d = −1
        i0 = base[None, :] - d_int.long() - 1
        lo = vv.gather(1, i0)
        w = lo + f * (vv.gather(1, i0 + 1) - lo)
        if not bool(self.integer):
            return w
        k = torch.round(d.detach()).long()
        if int(self.wrap):
            k = torch.where(k == 0, int(self.wrap), k)
        near = vv.gather(1, base[None, :] - k)
        return near + (w - w.detach())

    def mix(self, x_ext: torch.Tensor, w_ext: torch.Tensor) -> torch.Tensor:
        """y = a∗x + b∗w from both paths with their taps − 1 samples of past in front: (B, T + taps − 1) → (B, T)."""
        if self.taps == 1:
            return self.dry * x_ext + self.wet * w_ext
        a = torch.cat([self.dry[None], self.dry_fir]).flip(0).view(1, 1, -1)
        b = torch.cat([self.wet[None], self.wet_fir]).flip(0).view(1, 1, -1)
        return (F.conv1d(x_ext[:, None], a) + F.conv1d(w_ext[:, None], b))[:, 0]

    def _taps(self, vv: torch.Tensor, d: list[torch.Tensor], base: torch.Tensor, sl: slice) -> torch.Tensor:
        """Every voice's tap at positions `sl` of d / base: (voices, B, len)."""
        return torch.stack([self._tap(vv, dk[:, sl], base[sl]) for dk in d])

    def wet_sum(self, w: torch.Tensor) -> torch.Tensor:
        """w = w_0 + Σ_{k≥1} g_k·w_k from the voices' taps (voices, B, T)."""
        out = w[0]
        for k in range(1, self.voices):
            out = out + self.voice_gain[k - 1] * w[k]
        return out

    def lines(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        """(x_ext, w_ext, next state): the input and each voice's tap (voices, B, ·), taps − 1 past samples in front."""
        b, t = x.shape
        past = self.taps - 1
        if start is None:
            start = torch.zeros(b, dtype=torch.long, device=x.device)
        m = torch.arange(-past, t, device=x.device)
        at = start.to(x.device)[:, None] + m[None, :]
        d = [self.delay_curve(at, k).to(x.dtype) for k in range(self.voices)]
        base = self.span + m  # position of sample m in [history | chunk]
        if not self.learn_feedback:
            xx = history(state, x, self.span)
            return xx[:, self.span - past:], self._taps(xx, d, base, slice(None)), tail(xx, self.span)
        # Feedback: v = x + fb·w, computed in blocks no longer than the shortest delay − 1, so a
        # block only reads samples that already exist. The past w (for the wet FIR) are re-read
        # from the v history; the past x (dry FIR) travel in the state beside it.
        fb = self.feedback
        v_state, x_state = state if state is not None else (None, None)
        vv = history(v_state, x.new_zeros(b, 0), self.span)
        x_ext = history(x_state, x, past)
        block = max(1, int(math.floor(min(float(dk.detach().min()) for dk in d))) - 1)
        if block < MIN_BLOCK:  # a delay of a few samples: iterate the whole chunk instead of tiny blocks
            vv = torch.cat([vv, self._fixed_point(vv, x, d, base, past, fb)], dim=1)
            return x_ext, self._taps(vv, d, base, slice(None)), (tail(vv, self.span), tail(x_ext, past) if past else None)
        ws = [self._taps(vv, d, base, slice(0, past))] if past else []
        for s0 in range(0, t, block):
            e = min(t, s0 + block)
            wb = self._taps(vv, d, base, slice(past + s0, past + e))
            ws.append(wb)
            vv = torch.cat([vv, x[:, s0:e] + fb * self.wet_sum(wb)], dim=1)
        return x_ext, torch.cat(ws, dim=2), (tail(vv, self.span), tail(x_ext, past) if past else None)

    def _fixed_point(self, hist: torch.Tensor, x: torch.Tensor, d: list[torch.Tensor], base: torch.Tensor,
                     past: int, fb: torch.Tensor) -> torch.Tensor:
        """v = x + fb·w(v) over the chunk by iteration: v_k = x + fb·T v_{k−1} = Σ_{j≤k} fb^j T^j x.

        T (the taps) reads at least one sample back, so the error after k iterations is of order
        |fb|^(k+1): k is chosen for |fb|^(k+1) ≤ FIXED_POINT_TOL (at most FIXED_POINT_MAX_ITER).
        """
        g = float(fb.detach().abs())
        k = 1 if g < 1e-12 else min(FIXED_POINT_MAX_ITER, max(1, math.ceil(math.log(FIXED_POINT_TOL) / math.log(g))))
        v = x
        for _ in range(k):
            w = self._taps(torch.cat([hist, v], dim=1), d, base, slice(past, None))
            v = x + fb * self.wet_sum(w)
        return v

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        x_ext, w_ext, state = self.lines(x, state, start)
        return self.mix(x_ext, self.wet_sum(w_ext)), state

    @torch.no_grad()
    def set_params(self, p: dict[str, float]) -> None:
        """Every voice's LFO (extra voices start as copies of voice 0, silent) and the dry/wet gains."""
        for k in range(self.voices):
            self.set_voice(k, p)
        self.dry.fill_(p["dry"])
        self.wet.fill_(p["wet"])

    @torch.no_grad()
    def set_voice(self, k: int, p: dict[str, float]) -> None:
        """Voice k's LFO from (rate_hz, phase, depth_ms, centre_ms, shape: 0 sine … 1 triangle, default 0)."""
        self.rate_ref[k] = p["rate_hz"]
        self.rate_raw[k] = 0.0
        self.phase[k] = p["phase"]
        self.depth_ms[k] = p["depth_ms"]
        self.centre_ms[k] = p["centre_ms"]
        self.shape[k] = p.get("shape", 0.0)
