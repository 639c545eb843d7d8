# Stage 5: run the trained model over the test split (each track from its start, for full context).


rule apply_model:
    input:
        model="results/{effect}/model/model.safetensors",
        dataset="results/{effect}/dataset",
    output:
        clean="results/{effect}/test/clean.wav",
        target="results/{effect}/test/target.wav",
        model="results/{effect}/test/model.wav",
    params:
        device=lambda w: CFG.effects[w.effect].train.device,  # the GPU when one is visible (auto), like training
    log:
        "results/{effect}/logs/apply_model.log",
    script:
        "../workflow_scripts/apply_model.py"
