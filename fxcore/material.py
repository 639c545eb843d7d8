"""Real playing material: seeded MIDI pieces rendered by FluidSynth with the General MIDI soundfont.

A piece is a riff, a chord part, a bass line or an arpeggio in a random key and tempo, with
note velocities drawn from a wide range (30–127), so a level-dependent effect meets soft and hard
playing within one piece. It is written as a standard MIDI file (`mido`) and rendered by the
`fluidsynth` command-line synthesiser with the FluidR3 GM soundfont (Debian `fluid-soundfont-gm`),
FluidSynth's own reverb and chorus off (the material must be dry), then mixed to mono and
normalised to a peak of `PEAK_DB`.

The generalisation benchmark trains on some instruments and note sets and tests on others
(`SETS`): guitars and fxcore's synthetic tones for training, a steel-string guitar for validation,
an electric piano and a bass guitar (other notes, other keys, other registers) held out for the
test — so a score measures how a model carries over to material it never saw.

Renders are cached by the piece's content (its MIDI bytes, sample rate and gain) under
`cache_dir`, so a benchmark renders each piece once per machine.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import read_audio, write_audio
from .errors import FxcoreError

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")   # dpkg -L fluid-soundfont-gm
PEAK_DB = -6.0                                             # each rendered piece's peak
TICKS = 480                                                # MIDI ticks per beat
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10), "pentatonic": (0, 3, 5, 7, 10),
           "dorian": (0, 2, 3, 5, 7, 9, 10)}
KINDS = ("riff", "chords", "bass", "arpeggio")


@dataclass(frozen=True)
class Piece:
    """One seeded piece: what is played (kind, seed), on which GM program, in which register, how long."""

    name: str
    kind: str          # riff | chords | bass | arpeggio
    program: int       # General MIDI program, 0-based (24 nylon guitar, 4 electric piano, 33 bass …)
    seed: int
    seconds: float
    low: int = 40      # lowest MIDI note
    high: int = 76     # highest MIDI note


# Train: nylon and clean electric guitar (+ fxcore's synthetic tones, added by the benchmark);
# validation: steel-string guitar; test: electric piano and fingered bass, other seeds and registers.
SETS: dict[str, list[tuple[str, str, int, int, int, int]]] = {
    "train": [("nylon_riff", "riff", 24, 11, 40, 76), ("clean_chords", "chords", 27, 12, 40, 72),
              ("clean_arp", "arpeggio", 27, 13, 45, 81), ("nylon_bass", "bass", 24, 14, 36, 60)],
    "val": [("steel_riff", "riff", 25, 21, 40, 76), ("steel_chords", "chords", 25, 22, 43, 72)],
    "test": [("epiano_chords", "chords", 4, 31, 48, 84), ("epiano_arp", "arpeggio", 4, 32, 50, 88),
             ("bass_line", "bass", 33, 33, 28, 55), ("epiano_riff", "riff", 4, 34, 52, 86)],
    # Held out of the development pairs (bench/dev.py), never of the benchmark: a picked bass that goes
    # below every training note (as the test's bass line does) and a steel-string arpeggio.
    "dev": [("picked_bass", "bass", 34, 41, 28, 55), ("steel_arp", "arpeggio", 25, 42, 45, 81)],
}


def pieces(split: str, seconds: float) -> list[Piece]:
    """The pieces of one split ('train', 'val', 'test'), each `seconds` long."""
    if split not in SETS:
        raise FxcoreError(f"unknown material split {split!r}", None, f"use one of {', '.join(SETS)}")
    return [Piece(n, k, p, s, float(seconds), lo, hi) for n, k, p, s, lo, hi in SETS[split]]


def _notes(piece: Piece) -> tuple[list[tuple[float, float, int, int]], float]:
    """([(start_beat, length_beats, note, velocity)], tempo in bpm) for the piece, from one seeded RNG."""
    rng = np.random.default_rng(piece.seed)
    scale = _SCALES[rng.choice(sorted(_SCALES))]
    root = int(rng.integers(0, 12))
    pitches = [n for n in range(piece.low, piece.high + 1) if (n - root) % 12 in scale]
    tempo = float(rng.uniform(80, 150))
    beats = piece.seconds * tempo / 60.0
    out: list[tuple[float, float, int, int]] = []
    t = 0.0
    if piece.kind == "chords":
        while t < beats:
            dur = float(rng.choice([1.0, 2.0, 2.0, 4.0]))
            base = int(rng.integers(0, max(1, len(pitches) - 7)))
            size = int(rng.integers(2, 5))
            vel = int(rng.integers(30, 128))
            strum = float(rng.uniform(0.0, 0.06))
            for j, k in enumerate(range(base, min(len(pitches), base + 2 * size), 2)):
                out.append((t + j * strum, dur * float(rng.uniform(0.6, 1.0)), pitches[k],
                            int(np.clip(vel + rng.integers(-10, 11), 1, 127))))
            t += dur
    elif piece.kind == "arpeggio":
        while t < beats:
            base = int(rng.integers(0, max(1, len(pitches) - 7)))
            chord = [pitches[min(len(pitches) - 1, base + k)] for k in (0, 2, 4, 7)]
            step = float(rng.choice([0.25, 0.5]))
            vel = int(rng.integers(35, 120))
            for k in range(int(rng.integers(4, 13))):
                note = chord[k % len(chord)] if rng.random() > 0.2 else chord[::-1][k % len(chord)]
                out.append((t, step * float(rng.uniform(0.8, 3.0)), note,
                            int(np.clip(vel + rng.integers(-20, 21), 1, 127))))
                t += step
    else:  # riff and bass: a short motif, repeated with variations, rests and accents
        motif_len = int(rng.integers(4, 9))
        motif = [(int(rng.integers(0, len(pitches))), float(rng.choice([0.25, 0.5, 0.5, 1.0])))
                 for _ in range(motif_len)]
        while t < beats:
            shift = int(rng.integers(-3, 4))
            for idx, dur in motif:
                if rng.random() < 0.12:  # a rest
                    t += dur
                    continue
                k = int(np.clip(idx + shift + (rng.integers(-2, 3) if rng.random() < 0.3 else 0), 0, len(pitches) - 1))
                vel = int(rng.integers(30, 128))
                legato = float(rng.uniform(0.3, 1.0)) if piece.kind == "riff" else float(rng.uniform(0.7, 1.0))
                out.append((t, dur * legato, pitches[k], vel))
                t += dur
    return [n for n in out if n[0] < beats], tempo


def write_midi(piece: Piece, path: str | Path) -> Path:
    """Write the piece as a type-0 standard MIDI file (needs `mido`)."""
    try:
        import mido
    except ImportError:  # pragma: no cover - a dependency in pyproject
        raise FxcoreError("the Python package mido is missing", None, "pip install mido") from None
    notes, tempo = _notes(piece)
    events: list[tuple[int, int, mido.Message]] = []  # (tick, order: offs first, message)
    for start, length, note, vel in notes:
        on = int(round(start * TICKS))
        off = max(on + 1, int(round((start + length) * TICKS)))
        events.append((on, 1, mido.Message("note_on", note=note, velocity=vel, channel=0)))
        events.append((off, 0, mido.Message("note_off", note=note, velocity=0, channel=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0))
    track.append(mido.Message("program_change", program=piece.program, channel=0, time=0))
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=TICKS))
    path = Path(path)
    mid.save(str(path))
    return path


def check_fluidsynth() -> None:
    """One-line error unless the `fluidsynth` program and the GM soundfont are installed."""
    if shutil.which("fluidsynth") is None or not SOUNDFONT.exists():
        raise FxcoreError("FluidSynth or the General MIDI soundfont is missing", str(SOUNDFONT),
                          "sudo apt-get install fluidsynth fluid-soundfont-gm (or sudo .ci/install_hosts.sh)")


def render_midi(midi: str | Path, sample_rate: int, gain: float = 0.5) -> np.ndarray:
    """Render a MIDI file with the `fluidsynth` CLI (reverb and chorus off) → mono float32, peak PEAK_DB."""
    check_fluidsynth()
    with tempfile.TemporaryDirectory(prefix="fxcore-fluid-") as tmp:
        wav = Path(tmp) / "out.wav"
        cmd = ["fluidsynth", "-ni", "-R", "0", "-C", "0", "-F", str(wav), "-r", str(int(sample_rate)),
               "-g", str(gain), str(SOUNDFONT), str(midi)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not wav.exists():
            raise FxcoreError(f"fluidsynth failed: {proc.stderr.strip()[-300:]}", str(midi),
                              "check the MIDI file and the soundfont")
        audio, _ = read_audio(wav, sample_rate)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak <= 0:
        raise FxcoreError("fluidsynth rendered silence", str(midi), "check the MIDI file's notes and program")
    return (audio * (10 ** (PEAK_DB / 20) / peak)).astype(np.float32)


def render_piece(piece: Piece, sample_rate: int, cache_dir: str | Path | None = None) -> np.ndarray:
    """The piece as mono audio of exactly `piece.seconds` (cut or zero-padded), cached by content."""
    with tempfile.TemporaryDirectory(prefix="fxcore-midi-") as tmp:
        midi = write_midi(piece, Path(tmp) / f"{piece.name}.mid")
        key = hashlib.sha256(midi.read_bytes() + f"{sample_rate}|{PEAK_DB}".encode()).hexdigest()[:16]
        cached = Path(cache_dir) / f"{piece.name}-{key}.wav" if cache_dir else None
        if cached is not None and cached.exists():
            audio, _ = read_audio(cached, sample_rate)
        else:
            audio = render_midi(midi, sample_rate)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                write_audio(cached, audio, sample_rate, subtype="FLOAT")
    n = int(round(piece.seconds * sample_rate))
    return np.pad(audio[:n], (0, max(0, n - len(audio)))).astype(np.float32)
