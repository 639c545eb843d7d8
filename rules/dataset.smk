# Stage 3: align (latency from the clicks), check, split by time, write memory-mappable shards.


rule build_dataset:
    input:
        clean=clean_tracks,
        processed=expand("results/{{effect}}/processed/{track}.wav", track=TRACKS),
        clicks_clean="results/clean/clicks.wav",
        clicks_processed="results/{effect}/processed/clicks.wav",
    output:
        directory("results/{effect}/dataset"),
    params:
        tracks=TRACKS,
        split=split_params,
        sample_rate=CFG.sample_rate,
    log:
        "results/{effect}/logs/build_dataset.log",
    script:
        "../workflow_scripts/build_dataset.py"
