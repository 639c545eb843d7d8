"""Clean training audio: random guitar-range tracks (report §5.1.1), a latency click train, and user music (§5.1.3).

The report drew random chirps, sines, squares and saws in 80–1200 Hz (roughly an electric guitar's range) and
split each track into 10 s segments that differ in how many notes sound at once and how big the gaps are.
That idea is kept, made reproducible (one ``numpy.random.default_rng(seed)`` drives every choice, so a seed
always gives the same bytes) and widened with what effects meet in real playing: plucked decays, chords,
sharp attacks, silences, noise bursts, and a −40…0 dBFS level range with slow swells, so that level-dependent
effects (compressors, distortion) are trained on their whole transfer curve rather than one operating point.
"""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
from scipy import signal

from .audio import read_audio
from .errors import FxcoreError, config_source

F_LO, F_HI = 80.0, 1200.0          # fundamental range (report: electric guitar)
LEVEL_DB = (-40.0, 0.0)            # per-note level range before the final normalisation
PEAK_DB = -1.0                     # final track peak: headroom so no effect input ever clips
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")

# Voice kinds and how often each is drawn; noise is rare because it is excitation, not music.
_KINDS = ("chirp", "sine", "square", "saw", "pluck", "chord", "noise")
_KIND_P = np.array([0.16, 0.16, 0.15, 0.15, 0.20, 0.15, 0.03])
# Chord shapes in semitones above the root: power, major, minor, sus4, dominant 7th, minor 7th, octave.
_CHORDS = ((0, 7), (0, 7, 12), (0, 4, 7), (0, 3, 7), (0, 5, 7), (0, 4, 7, 10), (0, 3, 7, 10), (0, 12))


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Equal probability per octave, like musical pitch and perceived duration."""
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _bandlimited_table(kind: str, f0: float, sr: int, shape_param: float) -> np.ndarray:
    """One period of scipy's square/sawtooth with every harmonic at or above ~0.475·sr removed.

    Band-limiting is done by additive synthesis, not a lowpass: the naive waveform is computed once on a
    dense period grid, its harmonic series taken by FFT, harmonics that would exceed Nyquist zeroed, and the
    rest summed back (irfft). Reading that table at the note's pitch then contains no component above
    Nyquist, so nothing aliases, while keeping all audible harmonics up to Nyquist.
    """
    n_harm = max(1, int(0.475 * sr / f0))
    size = max(4096, 1 << int(np.ceil(np.log2(8 * n_harm))))  # ≥ 8 table points per cycle of the top harmonic
    phase = 2 * np.pi * np.arange(size) / size
    naive = signal.square(phase, duty=shape_param) if kind == "square" else signal.sawtooth(phase, width=shape_param)
    spec = np.fft.rfft(naive)
    spec[0] = 0.0                  # no DC: a DC step at each note would be a low-frequency thump
    spec[n_harm + 1:] = 0.0
    table = np.fft.irfft(spec, size)
    return table / np.max(np.abs(table))


def _tone(rng: np.random.Generator, timbre: str, f0: float, t: np.ndarray, sr: int) -> np.ndarray:
    """A fixed-pitch note of the given timbre, unit peak, random start phase."""
    phi = rng.uniform(0.0, 1.0)
    if timbre == "sine":
        return np.sin(2 * np.pi * (f0 * t + phi))
    if timbre in ("square", "saw"):
        # Duty 0.3–0.7 keeps the fundamental the strongest partial; saw width 1 rises, 0 falls.
        param = rng.uniform(0.3, 0.7) if timbre == "square" else float(rng.integers(0, 2))
        table = _bandlimited_table(timbre, f0, sr, param)
        pos = ((f0 * t + phi) % 1.0) * len(table)
        return np.interp(pos, np.arange(len(table)), table, period=len(table))
    # Plucked string as a sum of harmonics whose upper partials fade faster (brightness dies away like a
    # real string); cheaper than Karplus–Strong's sample-by-sample loop and trivially band-limited.
    n_harm = int(min(16, 0.475 * sr / f0))
    k = np.arange(1, n_harm + 1)
    amps = k ** -rng.uniform(1.0, 2.0)
    tau = rng.uniform(0.3, 1.5) / k ** rng.uniform(0.5, 1.0)
    phases = rng.uniform(0.0, 2 * np.pi, n_harm)
    out = np.zeros_like(t)
    z1 = np.exp(2j * np.pi * f0 * t)
    zk = np.ones_like(z1)
    for a, tk, p in zip(amps, tau, phases):  # ≤16 partials: a loop keeps memory at one note length
        # Beyond −100 dB a partial is skipped; tau falls with k, so each span is within the previous one.
        m = min(len(t), int(np.ceil(tk * np.log(1e5) * sr)) + 1)
        zk[:m] *= z1[:m]  # e^{ikωt} by recurrence: one complex multiply instead of a sin per partial
        out[:m] += a * np.exp(-t[:m] / tk) * (zk[:m] * np.exp(1j * p)).imag
    return out / np.max(np.abs(out))


def _chirp(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A bend/slide: sweep between two random pitches at a random speed, then hold the target pitch."""
    f0 = _log_uniform(rng, F_LO, F_HI)
    f1 = _log_uniform(rng, F_LO, F_HI)
    if abs(np.log(f1 / f0)) < 0.05:  # make it audibly a sweep
        f1 = F_LO + F_HI - f0
    dur = t[-1] + (t[1] - t[0]) if len(t) > 1 else 1e-3
    t1 = rng.uniform(0.05, 1.0) * dur  # sweep time: the random sweep speed
    method = "linear" if rng.random() < 0.5 else "logarithmic"
    glide = t < t1
    out = np.empty_like(t)
    out[glide] = signal.chirp(t[glide], f0, t1, f1, method=method, phi=-90)
    # scipy.signal.chirp would keep sweeping past t1 (leaving 80–1200 Hz), so hold f1 with continuous phase.
    end_phase = np.pi * t1 * (f0 + f1) if method == "linear" else 2 * np.pi * f0 * t1 * (f1 / f0 - 1) / np.log(f1 / f0)
    out[~glide] = np.sin(end_phase + 2 * np.pi * f1 * (t[~glide] - t1))
    return out


def _envelope(rng: np.random.Generator, n: int, sr: int, kind: str) -> np.ndarray:
    """Attack/release shape (linear gain) plus the note's level in dB, sometimes a slow swell or fade."""
    # Mostly a few ms so effects see real transients; sometimes a slow bowed/volume-pedal attack.
    attack = rng.uniform(0.5e-3, 8e-3) if (kind in ("pluck", "noise") or rng.random() < 0.8) else rng.uniform(0.03, 0.4)
    release = rng.uniform(5e-3, 0.3)
    a = min(n // 2, max(1, int(attack * sr)))
    r = min(n - a, max(1, int(release * sr)))
    env = np.ones(n)
    env[:a] = np.linspace(0.0, 1.0, a, endpoint=False)
    env[n - r:] *= np.linspace(1.0, 0.0, r)
    level = rng.uniform(*LEVEL_DB)
    if n > sr and rng.random() < 0.3:  # slow crescendo/decrescendo across the whole range
        level = np.linspace(level, rng.uniform(*LEVEL_DB), n)
    return env * 10.0 ** (level / 20.0)


def _note(rng: np.random.Generator, kind: str, n: int, sr: int) -> np.ndarray:
    """One event of `kind`, `n` samples long, enveloped and at its drawn level."""
    t = np.arange(n) / sr
    if kind == "chirp":
        x = _chirp(rng, t)
    elif kind in ("sine", "square", "saw", "pluck"):
        x = _tone(rng, kind, _log_uniform(rng, F_LO, F_HI), t, sr)
    elif kind == "chord":
        shape = _CHORDS[rng.integers(len(_CHORDS))]
        root = _log_uniform(rng, F_LO, F_HI / 2 ** (max(shape) / 12))  # every chord note stays ≤ 1200 Hz
        timbre = ("sine", "square", "saw", "pluck")[rng.integers(4)]
        x = sum(_tone(rng, timbre, root * 2 ** (s / 12), t, sr) for s in shape) / len(shape)
    else:  # broadband noise burst: flat-spectrum excitation that shows a filter's whole response
        x = rng.uniform(-1.0, 1.0, n)
    return x * _envelope(rng, n, sr, kind)


def _check_rate(sample_rate: int) -> None:
    if int(sample_rate) != sample_rate or sample_rate < 8000:
        raise FxcoreError(f"sample_rate {sample_rate!r} is not an integer ≥ 8000 Hz", config_source(),
                          "set sample_rate to e.g. 48000")


def synthesize_track(seed: int, segments: int, segment_seconds: float = 10.0, sample_rate: int = 48000) -> np.ndarray:
    """A random clean track of `segments` segments, float32 mono, peak −1 dBFS, identical for equal seeds."""
    _check_rate(sample_rate)
    if segments < 1 or segment_seconds <= 0:
        raise FxcoreError(f"need segments ≥ 1 and segment_seconds > 0 (got {segments}, {segment_seconds})",
                          config_source(), "fix synth.segments / synth.segment_seconds")
    sr = int(sample_rate)
    rng = np.random.default_rng(seed)
    total = int(round(segments * segment_seconds * sr))
    bounds = [int(round(i * segment_seconds * sr)) for i in range(segments + 1)]
    max_note = int(6.0 * sr)
    out = np.zeros(total + max_note)  # notes may ring past the last segment; the tail is cut off below
    mute = np.ones(total)
    for s0, s1 in zip(bounds[:-1], bounds[1:]):
        # Per-segment character (report: segments vary in complexity and gap size).
        voices = int(rng.integers(1, 5))
        gap_mean = _log_uniform(rng, 0.03, 1.5)
        dur_scale = _log_uniform(rng, 0.5, 2.0)  # tempo: short staccato to long sustained notes
        for _ in range(voices):
            pos = s0 + int(rng.uniform(0.0, gap_mean) * sr)
            while pos < s1:
                kind = _KINDS[rng.choice(len(_KINDS), p=_KIND_P)]
                dur = rng.uniform(0.02, 0.3) if kind == "noise" else dur_scale * _log_uniform(rng, 0.08, 2.5)
                if kind != "noise" and rng.random() < 0.1:
                    dur = rng.uniform(1.5, 5.0)  # long notes leave room for slow swells
                n = min(max_note, max(16, int(dur * sr)))
                out[pos:pos + n] += _note(rng, kind, n, sr)
                pos += n + int(rng.exponential(gap_mean) * sr)
        # Rests where every voice stops (choked with a 10 ms fade): silence is what shows reverb/delay tails
        # and gate behaviour, and dense segments would otherwise almost never be silent.
        for _ in range(int(rng.integers(0, 3))):
            a = s0 + int(rng.uniform(0.0, 1.0) * (s1 - s0))
            b = min(s1, a + int(rng.uniform(0.3, 1.5) * sr))
            fade = min(int(0.01 * sr), a - s0)
            mute[a:b] = 0.0
            mute[a - fade:a] = np.minimum(mute[a - fade:a], np.linspace(1.0, 0.0, fade))
    track = out[:total] * mute
    peak = np.max(np.abs(track))
    if peak > 0:
        track *= 10.0 ** (PEAK_DB / 20.0) / peak
    return track.astype(np.float32)


SWEEP_BAND = (20.0, 20000.0)        # a log sweep's range: every note a bass or a guitar plays, and its harmonics
SWEEP_LEVELS_DB = (-30.0, -18.0, -6.0)  # peak levels of the sweeps, soft to hard; the last is the pieces' peak


def sweep_excitation(seconds: float, sample_rate: int, levels_db: tuple[float, ...] = SWEEP_LEVELS_DB) -> np.ndarray:
    """Exponential sine sweeps (Farina 2000) over SWEEP_BAND, one per level in `levels_db`, `seconds` in all.

    x(t) = A·sin(2π f₀ T/ln(f₁/f₀) · (e^{t ln(f₁/f₀)/T} − 1)): equal time per octave, so the octave
    20–40 Hz gets as long as any other. It covers what the musical material leaves out: the guitars'
    lowest note is 65 Hz (C2), a bass goes to 41 Hz (E1) and a five-string one to 31 Hz, and an amp's
    bass cut there is otherwise extrapolated (fxcore.material). Each sweep has 20 ms raised-cosine
    fades and is followed by a tenth of its length of silence, for the effect's tail.
    """
    _check_rate(sample_rate)
    if seconds <= 0 or not levels_db:
        raise FxcoreError(f"need seconds > 0 and at least one level (got {seconds}, {levels_db})")
    sr = int(sample_rate)
    f_lo, f_hi = SWEEP_BAND[0], min(SWEEP_BAND[1], 0.45 * sr)
    n = int(round(seconds * sr / len(levels_db)))
    sweep_n, fade = int(n / 1.1), int(0.02 * sr)
    t = np.arange(sweep_n) / sr
    sweep = signal.chirp(t, f_lo, t[-1], f_hi, method="logarithmic", phi=-90)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))
    sweep[:fade] *= ramp
    sweep[-fade:] *= ramp[::-1]
    parts = [np.concatenate([10.0 ** (db / 20.0) * sweep, np.zeros(n - sweep_n)]) for db in levels_db]
    return np.concatenate(parts).astype(np.float32)


def click_positions(sample_rate: int, n_clicks: int = 8, spacing_s: float = 0.5, seed: int = 0) -> np.ndarray:
    """Sample indices of the clicks in ``click_train`` with the same arguments."""
    rng = np.random.default_rng(seed)
    # ±10 % jitter: unequal gaps make the cross-correlation peak unique (no match one click off).
    gaps = np.round(spacing_s * sample_rate * (1.0 + rng.uniform(-0.1, 0.1, max(0, n_clicks - 1)))).astype(int)
    return int(round(0.25 * sample_rate)) + np.concatenate([[0], np.cumsum(gaps)]).astype(int)


def click_train(sample_rate: int, n_clicks: int = 8, spacing_s: float = 0.5, seed: int = 0) -> np.ndarray:
    """Single-sample clicks at −6 dBFS after 0.25 s of silence, jittered spacing, silent tail; for latency."""
    _check_rate(sample_rate)
    if n_clicks < 1 or spacing_s <= 0:
        raise FxcoreError(f"need n_clicks ≥ 1 and spacing_s > 0 (got {n_clicks}, {spacing_s})")
    pos = click_positions(sample_rate, n_clicks, spacing_s, seed)
    # The tail lets effect output (reverb, delay) of the last click land inside the file.
    out = np.zeros(pos[-1] + int(round(max(spacing_s, 0.25) * sample_rate)) + 1, dtype=np.float32)
    # A single-sample impulse is exactly band-limited at this rate and gives a one-sample-sharp correlation.
    out[pos] = 10.0 ** (-6.0 / 20.0)
    return out


def prepare_training_audio(path: str | Path, sample_rate: int, target_peak_db: float = -1.0) -> np.ndarray:
    """One user audio file as mono float32 at `sample_rate`, peak-normalised to `target_peak_db` dBFS."""
    _check_rate(sample_rate)
    audio, sr = read_audio(path, sample_rate=None, mono=True)
    if sr != sample_rate:
        g = gcd(int(sr), int(sample_rate))
        audio = signal.resample_poly(audio.astype(np.float64), int(sample_rate) // g, int(sr) // g)
    peak = float(np.max(np.abs(audio)))
    if peak < 1e-6:
        raise FxcoreError("audio is silent (peak below −120 dBFS)", path, "remove it from the training audio folder")
    return (audio * (10.0 ** (target_peak_db / 20.0) / peak)).astype(np.float32)


DEFAULT_TRAINING_AUDIO = "training_audio"


def audio_files_in(folder: Path) -> list[Path]:
    """The wav/flac/ogg/mp3 files directly in `folder`, sorted by name: the one scan of a training-audio folder."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def training_audio_files(folder: str | Path | None, source: str | Path = "config.yaml") -> list[Path]:
    """The user audio files (wav/flac/ogg/mp3 directly in the folder, by name) joined to the clean set.

    `folder` None (synth.training_audio not set): the folder training_audio/ if it exists, else none.
    A folder set explicitly must exist: a typo would otherwise silently train without the user's audio.
    """
    if folder is None:
        if not Path(DEFAULT_TRAINING_AUDIO).is_dir():
            return []
        folder = DEFAULT_TRAINING_AUDIO
    folder = Path(folder)
    if not folder.exists():
        raise FxcoreError(f"synth.training_audio folder {str(folder)!r} does not exist (in {Path.cwd()})", source,
                          "create it with your wav/flac/ogg/mp3 files, or remove synth.training_audio")
    if not folder.is_dir():
        raise FxcoreError(f"synth.training_audio {str(folder)!r} is not a folder", source,
                          "point synth.training_audio at a folder of audio files")
    return audio_files_in(folder)


def load_training_audio(folder: str | Path, sample_rate: int,
                        target_peak_db: float = -1.0) -> list[tuple[str, np.ndarray]]:
    """(file name, audio) for every wav/flac/ogg/mp3 directly in `folder`, by name; [] if none or missing."""
    folder = Path(folder)
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise FxcoreError("training audio path is not a folder", folder, "point synth.training_audio at a folder")
    files = audio_files_in(folder)
    return [(p.name, prepare_training_audio(p, sample_rate, target_peak_db)) for p in files]
