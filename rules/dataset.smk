# Stage 3: align (latency from the clicks), check, split by time, write memory-mappable shards.
# A `recorded` effect skips rendering: its pair comes from the user's own capture files.


def dataset_inputs(wildcards):
    e = CFG.effects[host_checked(wildcards.effect)]
    if e.backend == "recorded":
        return {"clean": [e.options["clean"]], "processed": [e.options["processed"]]}
    return {
        "clean": clean_tracks(),
        "processed": expand("results/{effect}/processed/{track}.wav", effect=wildcards.effect, track=TRACKS),
        "clicks_clean": "results/clean/clicks.wav",
        "clicks_processed": f"results/{wildcards.effect}/processed/clicks.wav",
    }


rule build_dataset:
    input:
        unpack(dataset_inputs),
    output:
        directory("results/{effect}/dataset"),
    params:
        tracks=TRACKS,
        capture=capture_params,
        split=split_params,
        sample_rate=CFG.sample_rate,
    log:
        "results/{effect}/logs/build_dataset.log",
    script:
        "../workflow_scripts/build_dataset.py"
