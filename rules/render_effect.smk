# Stage 2: run every clean file (and the click train) through one effect's chain.


rule render_effect:
    input:
        clean=clean_tracks,
        clicks="results/clean/clicks.wav",
    output:
        processed=expand("results/{{effect}}/processed/{track}.wav", track=TRACKS),
        clicks="results/{effect}/processed/clicks.wav",
    params:
        render=render_params,
        sample_rate=CFG.sample_rate,
    log:
        "results/{effect}/logs/render_effect.log",
    script:
        "../workflow_scripts/render_effect.py"
