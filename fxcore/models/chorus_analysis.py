"""The chorus's LFO analysis and diagnostics (a mixin of `Chorus`): the delay curve from the audio.

Steps 1–3 of fxcore.models.chorus's docstring: per-frame delay costs, a smooth path through them,
and the sine or triangle LFO through that path; then least-squares dry/wet gains along it. Reads
the model's search settings (min/max delay, frame, slope, rate range, analysis length).

Speed (2026-12-07, 2-core CPU, the bench rows' 42 s of training audio): the Viterbi path and the
LFO's score along the cost map are compiled (delay_tracking), and every rate of the grid is scored
in one array pass, and the LFO waveform (greybox_dsp.lfo_value) is compiled, with the same fits to
the bit (the flanger's to 1e-12): the 4-voice multichorus analysis of SoX's 3-voice chorus 135 →
80 s, the 1-voice chorus on drive rows 17–21 → 13 s, the flanger's fit on Calf Flanger 44 → 27 s;
the phaser's on Calf Phaser (its own analysis, the same LFO waveform) 54 → 40 s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy import fft as sfft
from scipy.optimize import minimize

from .delay_tracking import delay_costs, delay_stats, lookup_cost, mean_curve_cost, mean_min_costs, smooth_path
from .greybox_dsp import lfo_np


class DelayLfoAnalysis:
    """Estimate a modulated delay line's LFO from (clean, target); plot the learned curve against the measured one."""

    def _stats(self, clean: np.ndarray, target: np.ndarray,
               band: tuple[float, float] | None = None) -> tuple[int, dict[str, np.ndarray]]:
        sr = self.sample_rate
        lo_ms, hi_ms = band if band is not None else (self.min_delay_ms, None)
        lo = max(1, int(math.floor(lo_ms * 1e-3 * sr)))
        hi = self.line - 3 if hi_ms is None else min(self.line - 3, int(math.ceil(hi_ms * 1e-3 * sr)))
        frame = max(16, int(round(self.frame_ms * 1e-3 * sr)))
        return lo, delay_stats(clean, target, lo, hi, frame, max(1, frame // 2))

    @staticmethod
    def _search_gains(st: dict[str, np.ndarray], active: np.ndarray) -> tuple[float, float]:
        """Global (dry, wet) minimising the mean over frames of the best-delay cost (a coarse grid)."""
        rows = np.flatnonzero(active)
        rows = rows[::max(1, len(rows) // 800)]
        a_grid, b_grid = np.linspace(0.0, 1.2, 13), np.linspace(0.1, 1.2, 12)
        scores = mean_min_costs(st, a_grid, b_grid, rows)
        i, j = np.unravel_index(np.argmin(scores), scores.shape)  # the first of equal scores, as the loop it replaces
        return float(a_grid[i]), float(b_grid[j])

    def _curve_np(self, p: np.ndarray, t: np.ndarray, shape: float = 0.0) -> np.ndarray:
        """Delay (samples) for p = (centre_ms, depth_ms, rate_hz, phase) at sample times t (numpy)."""
        theta = 2 * np.pi * np.mod(p[2] * t / self.sample_rate, 1.0) + p[3]
        return (p[0] + p[1] * lfo_np(theta, shape)) * 1e-3 * self.sample_rate

    def _fit_lfo(self, lo: int, tc: np.ndarray, cost: np.ndarray, energy: np.ndarray,
                 duration: float) -> np.ndarray:
        """(centre_ms, depth_ms, rate_hz, phase, shape) of the sine or triangle delay curve through a cost map."""
        sr = self.sample_rate
        active = energy > 1e-4 * (energy.max() + 1e-30)
        informative = np.where(active[:, None], cost, 0.0)
        hop = float(tc[1] - tc[0]) if len(tc) > 1 else 1.0
        path = lo + smooth_path(informative, max(1, int(math.ceil(self.max_slope * hop)))).astype(np.float64)
        tg, pg, cg = tc[active], path[active], cost[active]
        # Rates: a grid fine enough that the phase drifts < 1/8 cycle over the excerpt; at each,
        # a trimmed least-squares sinusoid through the path, scored on the cost map.
        r_lo = max(self.rate_range[0], 0.5 / duration)
        r_hi = max(min(self.rate_range[1], sr / hop / 4), r_lo * 1.01)
        rates = np.arange(r_lo, r_hi, 1.0 / (8 * duration))
        best: list[tuple[float, np.ndarray]] = []
        for chunk in np.array_split(rates, max(1, len(rates) // 64)):
            w = 2 * np.pi * chunk[:, None] * tg[None, :] / sr
            basis = np.stack([np.ones_like(w), np.cos(w), np.sin(w)], axis=1)  # (R, 3, F)
            weight = np.ones_like(w)
            for _ in range(3):  # weighted normal equations by batched products (einsum took 20 s of 139)
                wb = basis * weight[:, None, :]
                gram = wb @ basis.transpose(0, 2, 1) + 1e-9 * np.eye(3)
                coef = np.linalg.solve(gram, (wb @ pg)[..., None])[..., 0]
                res = pg[None, :] - (coef[:, None, :] @ basis)[:, 0, :]
                mad = np.median(np.abs(res), axis=1, keepdims=True)
                weight = (np.abs(res) <= np.maximum(3 * mad, 2.0)).astype(np.float64)
            amp = np.hypot(coef[:, 1], coef[:, 2])
            phase = np.arctan2(coef[:, 1], coef[:, 2])
            ps = np.stack([coef[:, 0] * 1e3 / sr, amp * 1e3 / sr, chunk, phase], axis=1)
            # every rate's curve at once: (F, R) delays, scored per column as each row alone was
            curves = self._curve_np(ps.T[:, None, :], tg[:, None])
            scores = np.mean(np.ascontiguousarray(np.minimum(lookup_cost(cg, curves, lo), 1.0).T), axis=1)
            best += [(float(score), p) for score, p in zip(scores, ps)]
        best.sort(key=lambda b: b[0])

        cg, tg = np.ascontiguousarray(cg, dtype=np.float64), np.ascontiguousarray(tg, dtype=np.float64)

        def soft(p: np.ndarray, shape: float = 0.0) -> float:
            return mean_curve_cost(cg, tg, p[0], p[1], p[2], p[3], float(shape), lo, float(sr))

        nm = {"method": "Nelder-Mead", "options": {"xatol": 1e-6, "fatol": 1e-8, "maxiter": 600}}
        result = best[0]
        for score, p in best[:3]:
            res = minimize(soft, p, **nm)
            if res.fun < result[0]:
                result = (float(res.fun), res.x)
        # A triangle LFO's fundamental is 8/π² of its peak, so the sinusoid through the path
        # under-reads its depth (SoX `chorus -t`: 1.14 for 1.5 ms): try the triangle from there too.
        shape = 0.0
        tri = minimize(soft, result[1] * np.array([1.0, np.pi ** 2 / 8, 1.0, 1.0]), args=(1.0,), **nm)
        if tri.fun < result[0]:
            result, shape = (float(tri.fun), tri.x), 1.0
        p = np.array(result[1], dtype=np.float64)
        if p[1] < 0:  # the same curve with a positive depth (sine and triangle are both odd about θ = 0)
            p = np.array([p[0], -p[1], p[2], p[3] + np.pi])
        p[3] = float(np.mod(p[3], 2 * np.pi))
        return np.append(p, shape)

    def _gains(self, x: np.ndarray, y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
        """dry, wet by least squares along the delay curve p (+ shape; pair starting at sample 0)."""
        n = len(x)
        d = np.clip(self._curve_np(p, np.arange(n, dtype=np.float64), p[4]), 1.0, self.line - 2.0)
        pos = np.arange(n) - d
        i0 = np.floor(pos).astype(int)
        fr = pos - i0
        pad = self.hist + 2
        xp = np.concatenate([np.zeros(pad), x])
        w = (1 - fr) * xp[i0 + pad] + fr * xp[i0 + 1 + pad]
        coef, *_ = np.linalg.lstsq(np.stack([x, w], 1), y, rcond=None)
        return float(coef[0]), float(coef[1])

    @torch.no_grad()
    def find_wrap(self, clean: np.ndarray, target: np.ndarray, candidates: int = 5) -> float | None:
        """Set `wrap` if a buffer wrap explains the residual where a rounded delay is 0; the ESR of the
        least-squares mix with it (the mix is left fitted), or None if no wrap was kept.

        Where round(d_k(t)) = 0 (samples M) the model reads x[t−1] and the effect x[t−B], so the
        residual there is r ≈ g·z_B, z_B = x[t−B] − x[t−1], and reading B instead lowers the squared
        error by (Σ_M r·z_B)² / Σ_M z_B² — for every B at once by FFT correlations. Scoring x[t−B]
        alone picked lags a pitch period off on guitar (the true one ranked 29th); this score ranks it
        first. The best of the top `candidates` by the least-squares mix is kept if it fits better
        than no wrap. Pairs start at their track's sample 0.
        """
        x, y = np.asarray(clean, np.float64), np.asarray(target, np.float64)
        n = len(x)
        t = torch.arange(n)
        self.wrap.fill_(1)  # lets the curves reach 0 so the samples at a rounded delay of 0 show
        raw = [self.delay_curve(t, k).double().numpy() for k in range(self.voices)]
        self.wrap.fill_(0)
        mask = np.any(np.round(np.stack(raw)) == 0, axis=0).astype(np.float64)
        if mask.sum() < 0.001 * n:
            return None
        before = self.fit_mix(clean, target)
        r = (y - self.render(np.asarray(clean, np.float32)).astype(np.float64)) * mask
        size = sfft.next_fast_len(2 * n)
        conj_x = np.conj(sfft.rfft(x, size))

        def corr(a: np.ndarray, spec: np.ndarray = conj_x) -> np.ndarray:  # [B] ↦ Σ_t a[t]·x[t−B]
            return sfft.irfft(sfft.rfft(a, size) * spec, size)[:self.hist - 1]

        c = corr(r)
        e = corr(mask, np.conj(sfft.rfft(x * x, size)))
        cross = corr(mask * np.concatenate([[0.0], x[:-1]]))  # Σ_M x[t−1]·x[t−B]
        zz = e - 2 * cross + e[1]
        score = (c - c[1]) ** 2 / (zz + 1e-12 * (zz.max() + 1e-30))
        score[:2] = 0.0  # lag 1 is the clamped read the model already makes
        best = (before, 0)
        for lag in np.argsort(score)[::-1][:candidates]:
            self.wrap.fill_(int(lag))
            esr = self.fit_mix(clean, target)
            if esr < best[0]:
                best = (esr, int(lag))
        self.wrap.fill_(best[1])
        esr = self.fit_mix(clean, target)
        return esr if best[1] > 0 else None

    def delay_windows(self) -> list[tuple[float, float]]:
        """Overlapping delay bands (ms) covering [min_delay, max_delay]: each 3× wide, the next 2× lower,
        down to one band below ~6 ms.

        Several voices at different delays (SoX's 3-voice chorus at 25, 55 and 85 ms) make the
        best single delay per frame jump between them, and the full-range path through them is no
        voice's curve: on a SoX 3-voice render the full range read 3.0 ± 5.4 ms at 0.094 Hz, the
        15–35 ms band read the 25 ms voice (24.98 ± 2.13 ms, 0.500 Hz, triangle: truth 25 ± 2,
        0.5). A voice sweeping d ± depth lies inside one band when depth < d/2.
        """
        hi, out = self.max_delay_ms, []
        while hi / 2.0 > max(4.0, self.min_delay_ms):  # below ~6 ms one band: the flanger range
            out.append((hi / 3.0, hi))
            hi /= 2.0
        return out + [(self.min_delay_ms, hi)]

    def estimate(self, clean: np.ndarray, target: np.ndarray,
                 band: tuple[float, float] | None = None) -> dict[str, float]:
        """LFO (centre_ms, depth_ms, rate_hz, phase, shape) and dry/wet from a pair starting at its sample 0.

        Gains from a coarse grid first (see `delay_costs`), then the LFO through the cost map, then
        least-squares gains along that curve and the LFO once more with them. `band` (ms) limits
        the delays searched (default: min_delay … max_delay).
        """
        sr = self.sample_rate
        n = min(len(clean), int(self.analysis_seconds * sr))
        x = np.asarray(clean[:n], dtype=np.float64)
        y = np.asarray(target[:n], dtype=np.float64)
        lo, st = self._stats(x, y, band)
        if len(st["centres"]) < 4:
            raise ValueError("chorus: too little audio to analyse")
        energy = st["yy"][:, 0]
        active = energy > 1e-4 * (energy.max() + 1e-30)
        gains = self._search_gains(st, active)
        for _ in range(2):
            p = self._fit_lfo(lo, st["centres"], delay_costs(st, gains), energy, n / sr)
            gains = self._gains(x, y, p)
        return {"centre_ms": float(p[0]), "depth_ms": float(p[1]), "rate_hz": float(p[2]),
                "phase": float(p[3]), "shape": float(p[4]), "dry": gains[0], "wet": gains[1]}

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        """Learned delay curve vs the per-frame measured delay; LFO shape folded over one period.

        The pair given here (a test split: regions of several tracks joined, each starting mid-track
        at a sample the model is not told) has unknown LFO phases, so the learned curve is shown
        with its phase aligned to the measurement block by block (best time offset). The
        measurement is the smooth least-cost path through the per-frame delay costs (with the
        learned dry/wet), in frames that hold signal.
        """
        sr = self.sample_rate
        n = min(len(clean), int(self.analysis_seconds * sr))
        lo, st = self._stats(np.asarray(clean[:n], np.float64), np.asarray(target[:n], np.float64))
        tc = st["centres"]
        if len(tc) < 4:
            return []
        energy = st["yy"][:, 0]
        ok = energy > 1e-4 * (energy.max() + 1e-30)
        cost = np.where(ok[:, None], delay_costs(st, (float(self.dry.detach()), float(self.wet.detach()))), 0.0)
        hop = float(tc[1] - tc[0])
        dhat = lo + smooth_path(cost, max(1, int(math.ceil(self.max_slope * hop)))).astype(np.float64)
        with torch.no_grad():
            rate = float(self.rate[0])
            period = sr / max(rate, 1e-6)
            offsets = np.linspace(0, period, 512, endpoint=False)
            curves = self.delay_curve(torch.as_tensor(offsets[:, None] + tc[None, :])).double().numpy()  # (O, F)
        # The pair may be several tracks' regions joined (each LFO at its own phase): align the
        # learned LFO to the measurement block by block (≥ 1 s and ≥ 2 LFO periods each).
        per_block = max(1, int(math.ceil(max(sr, 2 * period) / hop)))
        err = np.where(ok[None, :], (curves - dhat[None, :]) ** 2, 0.0)
        shift = np.zeros(len(tc))
        for b0 in range(0, len(tc), per_block):
            sl = slice(b0, min(len(tc), b0 + per_block))
            shift[sl] = offsets[int(np.argmin(err[:, sl].sum(axis=1)))]
        with torch.no_grad():
            learned = self.delay_curve(torch.as_tensor(tc + shift)).double().numpy()
        measured = np.where(ok, dhat, np.nan)
        phase = np.mod(rate * (tc + shift) / sr, 1.0)
        bins = np.linspace(0, 1, 33)
        mid = 0.5 * (bins[1:] + bins[:-1])
        fold = np.array([np.nanmedian(measured[(phase >= a) & (phase < b)])
                         if np.any(ok & (phase >= a) & (phase < b)) else np.nan
                         for a, b in zip(bins[:-1], bins[1:])])
        with torch.no_grad():
            one = self.delay_curve(torch.as_tensor(mid * period)).double().numpy()
        ms = 1e3 / sr
        return [
            {"title": f"{self.name.capitalize()} delay: learned LFO (voice 0) vs per-frame measurement", "xlabel": "time (s)",
             "ylabel": "delay (ms)", "x": tc / sr, "learned": learned * ms, "measured": measured * ms},
            {"title": f"LFO over one period ({rate:.4f} Hz), measured folded by the learned phase",
             "xlabel": "LFO cycle", "ylabel": "delay (ms)", "x": mid, "learned": one * ms,
             "measured": fold * ms},
        ]
