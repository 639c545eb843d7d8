"""Real playing material: seeded MIDI pieces rendered by FluidSynth (needs fluidsynth + fluid-soundfont-gm)."""

import shutil

import numpy as np
import pytest

from fxcore import material

pytestmark = pytest.mark.skipif(shutil.which("fluidsynth") is None or not material.SOUNDFONT.exists(),
                                reason="fluidsynth / fluid-soundfont-gm not installed (.ci/install_hosts.sh)")


def test_pieces_are_seeded_and_splits_differ(tmp_path):
    a = material.render_piece(material.pieces("test", 4.0)[0], 48000)
    b = material.render_piece(material.pieces("test", 4.0)[0], 48000, cache_dir=tmp_path)
    c = material.render_piece(material.pieces("test", 4.0)[0], 48000, cache_dir=tmp_path)  # from the cache
    assert len(a) == 4 * 48000 and np.array_equal(a, b) and np.allclose(b, c, atol=1e-7)
    assert abs(20 * np.log10(np.max(np.abs(a))) - material.PEAK_DB) < 0.01
    programs = {s: {p.program for p in material.pieces(s, 1.0)} for s in ("train", "val", "test")}
    assert not programs["train"] & programs["test"] and not programs["val"] & programs["test"]


def test_velocities_vary_within_a_piece(tmp_path):
    import mido

    path = material.write_midi(material.pieces("train", 10.0)[0], tmp_path / "riff.mid")
    vel = [m.velocity for m in mido.MidiFile(str(path)).tracks[0] if m.type == "note_on"]
    assert len(vel) > 10 and max(vel) - min(vel) > 50
