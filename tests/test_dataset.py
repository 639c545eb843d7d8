"""Alignment, pair checks, sharding and the two samplers."""

from __future__ import annotations

import numpy as np
import pytest

from fxcore.audio import write_audio
from fxcore.config import SplitConfig
from fxcore.dataset import Dataset, build_dataset, check_pair, measure_latency, shift_left
from fxcore.dataset.samplers import RandomSequentialSampler, RandomWindowSampler
from fxcore.errors import FxcoreError

from .conftest import SR, noise_tone

SPLIT = SplitConfig(0.6, 0.2, 0.2)


@pytest.mark.parametrize("lag", [0, 1, 37, 1234])
def test_known_delay_is_recovered(lag):
    from fxcore.synth import click_train

    x = click_train(SR)
    y = -0.5 * np.concatenate([np.zeros(lag, np.float32), x[:len(x) - lag]])  # inverted too
    assert measure_latency(x, y, max_lag=2000) == lag
    np.testing.assert_array_equal(shift_left(y, lag)[:len(x) - lag], -0.5 * x[:len(x) - lag])


def test_build_dataset_aligns_and_splits(tmp_path, pair_files):
    pairs, clicks, lat = pair_files
    m = build_dataset(tmp_path / "ds", pairs, clicks, SPLIT, SR)
    assert m["latency_samples"] == lat
    ds = Dataset(tmp_path / "ds")
    assert ds.tracks == ["t0", "t1"]
    assert isinstance(ds.clean("t0"), np.memmap)
    # regions tile each track in time order: train, val, test
    for t in ds.tracks:
        rs = [r for r in ds.regions if r.track == t]
        assert [r.split for r in rs] == ["train", "val", "test"]
        assert rs[0].start == 0 and rs[0].stop == rs[1].start and rs[1].stop == rs[2].start
        assert rs[2].stop == len(ds.clean(t))
    assert m["durations_s"]["train"] == pytest.approx(2 * 2.0 * 0.6, abs=1e-3)
    # target is aligned: the latency is gone (fuzz is memoryless → sign-correlated sample by sample)
    c, y = np.asarray(ds.clean("t0")), np.asarray(ds.target("t0"))
    assert np.corrcoef(c[:-lat], y[:-lat])[0, 1] > 0.8
    assert not any(p.name.startswith(".") for p in (tmp_path).iterdir())  # no temp leftovers


def test_bad_pairs_fail_in_one_line_and_leave_nothing(tmp_path, pair_files):
    pairs, clicks, _ = pair_files
    write_audio(tmp_path / "short.wav", noise_tone(1.0, 9), SR)
    bad = dict(pairs, t1=(pairs["t1"][0], tmp_path / "short.wav"))
    with pytest.raises(FxcoreError, match="does not match") as err:
        build_dataset(tmp_path / "ds", bad, clicks, SPLIT, SR)
    assert "short.wav" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "ds").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ds")]


@pytest.mark.parametrize("make, needle", [
    (lambda p: p.write_bytes(b"RIFF\x00\x00garbage"), "cannot decode"),
    (lambda p: write_audio(p, noise_tone(2.0, 0), 22050), "sample rate is 22050"),
    (lambda p: write_audio(p, np.zeros(2 * SR, np.float32), SR), "silent"),
])
def test_corrupt_wrong_rate_silent(tmp_path, pair_files, make, needle):
    pairs, clicks, _ = pair_files
    make(tmp_path / "bad.wav")
    with pytest.raises(FxcoreError, match=needle) as err:
        build_dataset(tmp_path / "ds", dict(pairs, t0=(pairs["t0"][0], tmp_path / "bad.wav")), clicks, SPLIT, SR)
    assert "bad.wav" in str(err.value)


def test_nan_and_empty_rejected(tmp_path):
    import soundfile as sf

    from fxcore.audio import read_audio

    x = noise_tone(0.5, 1)
    x[10] = np.nan
    sf.write(tmp_path / "nan.wav", x, SR, subtype="FLOAT")
    with pytest.raises(FxcoreError, match="NaN"):
        read_audio(tmp_path / "nan.wav", SR)
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), SR)
    with pytest.raises(FxcoreError, match="empty"):
        read_audio(tmp_path / "empty.wav", SR)
    with pytest.raises(FxcoreError, match="silent"):
        check_pair(noise_tone(0.5, 1), np.zeros(SR // 2, np.float32), "c.wav", "p.wav")


def test_samplers_are_seeded_and_resumable(tmp_path, pair_files):
    pairs, clicks, _ = pair_files
    build_dataset(tmp_path / "ds", pairs, clicks, SPLIT, SR)
    ds = Dataset(tmp_path / "ds")
    train = ds.split("train")
    a = RandomWindowSampler(ds, train, 256, 4, seed=1)
    b = RandomWindowSampler(ds, train, 256, 4, seed=1)
    a.next()
    saved = a.state_dict()
    nxt = a.next()
    b.load_state_dict(saved)
    np.testing.assert_array_equal(b.next().x.numpy(), nxt.x.numpy())
    for batch in (a.next() for _ in range(20)):  # windows stay inside training regions
        for s in batch.start.tolist():
            assert any(r.start <= s and s + 256 <= r.stop for r in train)

    seq = RandomSequentialSampler(ds, train, 128, 3, seed=2, chunks=4)
    batches = [seq.next() for _ in range(8)]
    assert [b.reset for b in batches] == [True, False, False, False] * 2
    # consecutive chunks continue exactly where the previous one ended
    assert (batches[1].start - batches[0].start).tolist() == [128] * 3
    region, _ = seq.cursor[0]
    s1 = int(batches[5].start[0])
    np.testing.assert_array_equal(batches[5].x[0].numpy(), np.asarray(ds.clean(region.track))[s1:s1 + 128])
    np.testing.assert_array_equal(batches[5].y[0].numpy(), np.asarray(ds.target(region.track))[s1:s1 + 128])


@pytest.mark.parametrize("cutoff", [200, 1000, 3500])
def test_filters_have_no_latency(cutoff):
    """A filter's response starts at once: its correlation peak comes late, but nothing is removed."""
    from fxcore.effects import make_backend
    from fxcore.synth import click_train

    x = click_train(SR)
    y = make_backend("pedalboard", [{"LowpassFilter": {"cutoff_frequency_hz": cutoff}}]).process(x, SR)
    assert measure_latency(x, y, max_lag=2000) <= 1
