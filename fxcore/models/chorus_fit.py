"""The chorus's fit (a mixin of `Chorus`): voices added one delay band at a time, the least-squares mix,
the refinement, and `initialise`, which runs them in order (fxcore.models.chorus's docstring, step 4).

Reads the model's settings (voices, taps, refine and analysis lengths, interpolation, wrap) and uses
its forward pass (`lines`, `render`) and the analysis of `DelayLfoAnalysis` (`estimate`, `find_wrap`).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch

from .tap_map import tap_candidates

# refine_span_seconds > refine_seconds: the refinement's audio in this many excerpts spread over the span
REFINE_EXCERPTS = 8


class ChorusFit:
    """Fit a `Chorus` to (clean, target) pairs that start at their track's sample 0."""

    def refine_batch(self, clean: np.ndarray, target: np.ndarray, span_seconds: float = 0.0
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        """(x, y, start, warm): the first refine_seconds of a pair starting at its track's sample 0, or as
        much audio in REFINE_EXCERPTS excerpts spread over the first `span_seconds`, each with `span`
        samples of warm-up in front (the delay line filling) that the loss leaves out."""
        sr = self.sample_rate
        n = min(len(clean), int(self.refine_seconds * sr))
        span = min(len(clean), int(span_seconds * sr))
        length, warm = n // REFINE_EXCERPTS, self.span
        if span - warm - length <= n:
            x, y, start, warm = clean[None, :n], target[None, :n], np.zeros(1, dtype=np.int64), 0
        else:
            start = np.linspace(0, span - warm - length, REFINE_EXCERPTS).astype(np.int64)
            x = np.stack([clean[a:a + warm + length] for a in start])
            y = np.stack([target[a:a + warm + length] for a in start])
        return (torch.as_tensor(np.asarray(x, np.float32)), torch.as_tensor(np.asarray(y, np.float32)),
                torch.as_tensor(start), warm)

    def refine(self, clean: np.ndarray, target: np.ndarray, steps: int, lr: float = 3e-3) -> float:
        """Adam on the first refine_seconds, then (refine_span_seconds longer) L-BFGS on excerpts spread
        over the span, where a rate error has moved the phase further; returns the final ESR.

        The pair starts at its track's sample 0. On SoX's 3-voice chorus (bench row sox_chorus3, 42 s of
        training audio) Adam left the three rates 1–3e-4 Hz off (held out 0.013–0.03), a step moving
        the rate at most lr·RATE_SCALE; L-BFGS on the spread excerpts found them to 7e-6 Hz in 1.2 s.
        Only with linear taps: under integer taps the straight-through gradient barely moves the rates
        (two SoX voices 4e-4 off stayed there) and the stage is dropped, so `interpolation: auto`
        (which refines with linear taps first) gains from it and `integer` does not.
        From the analysis's rates alone the spread fit can go astray (two SoX voices 1 % off stayed
        there), hence the contiguous stage first. The span must be one track heard from its start (as
        for the analysis); if the spread fit more than doubles the error on the first seconds, it
        is dropped.
        """
        first = self.refine_batch(clean, target)
        loss = self._adam(first, steps, lr)
        if self.refine_span_seconds > self.refine_seconds:
            kept = copy.deepcopy(self.state_dict())
            self._lbfgs(self.refine_batch(clean, target, self.refine_span_seconds), steps)
            with torch.no_grad():
                after = float(self._batch_loss(first))
            if after > 2.0 * loss:  # the span is not one track (the LFOs restart): keep the contiguous fit
                self.load_state_dict(kept)
            else:
                loss = after
        return loss

    def _batch_loss(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]) -> torch.Tensor:
        """ESR of the model on a batch (x, y, start, warm), the first `warm` samples of each row left out."""
        x, y, start, warm = batch
        y_hat, _ = self(x, start=start)
        return ((y_hat[:, warm:] - y[:, warm:]) ** 2).sum() / (float((y[:, warm:] ** 2).sum()) + 1e-12)

    def _adam(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor, int], steps: int, lr: float) -> float:
        """`steps` Adam steps on one batch, the learning rate decaying tenfold; the final ESR."""
        opt = torch.optim.Adam([p for p in self.parameters() if p.requires_grad], lr=lr)
        loss = torch.tensor(float("nan"))
        for i in range(steps):
            for g in opt.param_groups:
                g["lr"] = lr * 0.1 ** (i / max(steps, 1))
            loss = self._batch_loss(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return float(loss.detach())

    def _lbfgs(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor, int], steps: int) -> float:
        """L-BFGS (strong Wolfe line search, at most `steps` iterations) on one batch; the final ESR."""
        opt = torch.optim.LBFGS([p for p in self.parameters() if p.requires_grad], lr=1.0, max_iter=max(steps, 1),
                                history_size=20, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                                tolerance_change=1e-14)

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = self._batch_loss(batch)
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            return float(self._batch_loss(batch))

    @torch.no_grad()
    def fit_mix(self, clean: np.ndarray, target: np.ndarray, integer: bool | None = None,
                voices: int | None = None) -> float:
        """The dry and wet FIRs (gains if filter_taps = 1) and the voice gains by least squares along the curves.

        (a, b) given the voice gains g, then g given (a, b) — y is linear in each — twice when there
        are extra voices. `integer` switches the taps first; `voices` < all silences the later ones
        (while voices are being added). The pair starts at its track's sample 0. Returns the fit's ESR.
        """
        active = self.voices if voices is None else int(voices)
        if integer is not None:
            self.integer.fill_(bool(integer))
        x_ext, w_ext, _ = self.lines(torch.as_tensor(np.asarray(clean, dtype=np.float32))[None])
        xs, ws = x_ext[0].double().numpy(), w_ext[:, 0].double().numpy()
        y = np.asarray(target, dtype=np.float64)
        n, past = len(y), self.taps - 1

        def lagged(sig: np.ndarray) -> np.ndarray:  # column k: sig k samples back
            return np.stack([sig[past - k:past - k + n] for k in range(self.taps)], axis=1)

        def fir(sig: np.ndarray, coef: np.ndarray) -> np.ndarray:  # lagged(sig) @ coef, without the matrix
            return np.convolve(sig, coef)[past:past + n]

        def solve(design: np.ndarray, rhs: np.ndarray) -> np.ndarray:  # least squares by the normal equations
            gram = design.T @ design
            return np.linalg.solve(gram + 1e-12 * np.trace(gram) / len(gram) * np.eye(len(gram)), design.T @ rhs)

        g = np.concatenate([[1.0], self.voice_gain.double().numpy()])
        g[active:] = 0.0
        dry_x = lagged(xs)
        for _ in range(2 if active > 1 else 1):
            coef = solve(np.concatenate([dry_x, lagged(g @ ws)], axis=1), y)
            a, b = coef[:self.taps], coef[self.taps:]
            if active > 1:  # y − a∗x − b∗w_0 = Σ_k g_k·(b∗w_k)
                filtered = np.stack([fir(wk, b) for wk in ws[1:active]], axis=1)
                g[1:active] = solve(filtered, y - dry_x @ a - fir(ws[0], b))
        res = y - dry_x @ a - fir(g @ ws, b)
        self.dry.fill_(float(a[0]))
        self.dry_fir.copy_(torch.as_tensor(a[1:]))
        self.wet.fill_(float(b[0]))
        self.wet_fir.copy_(torch.as_tensor(b[1:]))
        self.voice_gain.copy_(torch.as_tensor(g[1:]))
        return float(res @ res / (y @ y + 1e-12))

    def _lfo_candidates(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, float]]:
        """The analysis in each delay band (`delay_windows`): one LFO (with dry/wet) per band that holds signal."""
        out = []
        for band in self.delay_windows():
            try:
                out.append(self.estimate(clean, target, band))
            except ValueError:
                pass
        return out

    @torch.no_grad()
    def _best_voice(self, k: int, candidates: list[dict[str, float]], x: np.ndarray, y: np.ndarray
                    ) -> tuple[float, dict[str, float]]:
        """Voice k set to the candidate LFO whose least-squares mix with voices ≤ k fits (x, y) best (later
        voices silent); returns that fit's ESR and the candidate."""
        best = (math.inf, candidates[0])
        for c in candidates:
            self.set_voice(k, c)
            score = self.fit_mix(x, y, voices=k + 1)
            if score < best[0]:
                best = (score, c)
        self.set_voice(k, best[1])
        return self.fit_mix(x, y, voices=k + 1), best[1]

    @torch.no_grad()
    def _add_voice(self, k: int, clean: np.ndarray, target: np.ndarray, x: np.ndarray, y: np.ndarray,
                   mapped: list[dict[str, float]]) -> float:
        """Voice k: the analysis per delay band on the residual of voices < k, voice 0's LFO at another
        phase, or one of the taps `mapped` in the tap map (fxcore.models.tap_map)."""
        rest = np.asarray(target, np.float64) - self.render(np.asarray(clean, np.float32)).astype(np.float64)
        first = {"rate_hz": float(self.rate[0]), "depth_ms": float(self.depth_ms[0]),
                 "centre_ms": float(self.centre_ms[0]), "shape": float(self.shape[0])}
        shifted = [{**first, "phase": float(self.phase[0]) + 2 * math.pi * j / 16} for j in range(1, 16)]
        return self._best_voice(k, self._lfo_candidates(clean, rest) + shifted + mapped, x, y)[0]

    @torch.no_grad()
    def _tap_group(self, mapped: list[dict[str, float]], x: np.ndarray, y: np.ndarray, xa: np.ndarray,
                   ya: np.ndarray) -> tuple[float, dict] | None:
        """Voices from the taps the tap map found at one rate only, each the one that best completes the
        least-squares mix on (x, y); the best rate's (ESR on the analysis span xa, ya; state), or None.

        Voice by voice over every candidate, the one tap that best fits alone can be none of them: on
        Calf's MultiChorus (four taps at 0.5 Hz) a 3-voice fit took a 1 Hz tap-map curve first (held
        out 0.26). On a render at 0.7 Hz with the voices 90° apart, this picked Calf's four taps within
        0.04 ms and 3° (ESR 0.030 on 8 s before refinement). The model's state is restored."""
        kept, best = copy.deepcopy(self.state_dict()), None
        for rate in dict.fromkeys(c["rate_hz"] for c in mapped):
            group = [c for c in mapped if c["rate_hz"] == rate]
            self.voice_gain.fill_(1.0)  # taps of one effect: alike until the least squares says otherwise
            for k in range(min(self.voices, len(group))):
                chosen = self._best_voice(k, group, x, y)[1]
                group = [c for c in group if c is not chosen]
            esr = self.fit_mix(xa, ya, voices=k + 1)
            if best is None or esr < best[0]:
                best = (esr, copy.deepcopy(self.state_dict()))
        self.load_state_dict(kept)
        return best

    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        na = min(len(clean), int(self.analysis_seconds * self.sample_rate))
        n = min(len(clean), int(self.refine_seconds * self.sample_rate))
        x, y = clean[:n], target[:n]
        mapped: list[dict[str, float]] = []
        if self.voices > 1 and n > self.span:  # voices at different delays: one band at a time
            # several taps in one band at one rate (Calf's MultiChorus: 2 voices × 2 sides): the tap map
            mapped = tap_candidates(clean[:na], target[:na], self.sample_rate, (self.min_delay_ms, self.max_delay_ms),
                                    self.rate_range, self.voices + 2)
            bands = self._lfo_candidates(clean[:na], target[:na]) or [self.estimate(clean, target)]
            self.set_params(bands[0])
            self._best_voice(0, bands + mapped, x, y)
        else:
            self.set_params(self.estimate(clean, target))
        if n <= self.span:
            return
        if self.taps > 1 and self.voices == 1:  # several voices: voice 0's mix is fitted above, the rest silent
            self.fit_mix(x, y)
        for k in range(1, self.voices):
            self._add_voice(k, clean[:na], target[:na], x, y, mapped)
        together = self._tap_group(mapped, x, y, clean[:na], target[:na])
        if together is not None and together[0] < self.fit_mix(clean[:na], target[:na]):
            self.load_state_dict(together[1])
        was = self.training
        self.train()
        if self.refine_steps > 0:
            self.refine(clean, target, self.refine_steps)
        wraps = self.wrap_max_ms > 0 and not self.learn_feedback
        # Taps and wrap judged on the analysis span, not the refinement's first seconds: a SoX sine
        # voice at 0.35 Hz reaches 0 once in 3 s, and there the wrap search took a lag 1452 samples
        # back (true 4224, found from 8 s).
        xa, ya = clean[:na], target[:na]
        if self.interpolation == "auto":
            # integer taps judged with their buffer wrap: SoX's sine voice sweeps 0…depth samples and
            # reads its oldest sample at 0, which linear taps cannot (they clamp at 1 sample)
            linear = self.fit_mix(xa, ya, integer=False)
            integer = self.fit_mix(xa, ya, integer=True)
            with_wrap = self.find_wrap(xa, ya) if wraps else None
            if with_wrap is not None:
                integer = with_wrap
            if integer >= linear:
                self.wrap.fill_(0)
                self.fit_mix(x, y, integer=False)
            elif self.refine_steps > 0:
                self.fit_mix(x, y)  # the gains of the refinement's own audio, as before it
                self.refine(clean, target, self.refine_steps)
        elif wraps and bool(self.integer) and self.find_wrap(xa, ya) is not None:
            self.fit_mix(x, y)
            self.refine(clean, target, self.refine_steps)
        self.train(was)
