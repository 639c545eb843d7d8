# Stage 1: synthesis of the clean set, plus the click train used to measure latency.


rule synthesize_track:
    output:
        "results/clean/{track}.wav",
    wildcard_constraints:
        track="track_[0-9]+",
    params:
        sample_rate=CFG.sample_rate,
        seed=CFG.seed,
        segments=CFG.synth.segments,
        segment_seconds=CFG.synth.segment_seconds,
    log:
        "results/logs/synth/{track}.log",
    script:
        "../workflow_scripts/synthesize_track.py"


rule import_training_audio:
    input:
        lambda w: USER_AUDIO[w.track],
    output:
        "results/clean/{track}.wav",
    wildcard_constraints:
        track="user_.+",
    params:
        sample_rate=CFG.sample_rate,
    log:
        "results/logs/synth/{track}.log",
    script:
        "../workflow_scripts/import_training_audio.py"


rule click_train:
    output:
        "results/clean/clicks.wav",
    params:
        sample_rate=CFG.sample_rate,
        seed=CFG.seed,
    log:
        "results/logs/synth/clicks.log",
    script:
        "../workflow_scripts/click_train.py"


ruleorder: click_train > synthesize_track > import_training_audio
