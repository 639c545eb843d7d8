# Stage 6: metrics against the target and the do-nothing baseline, and the figures.


rule evaluate:
    input:
        test=multiext("results/{effect}/test/", "clean.wav", "target.wav", "model.wav"),
        model="results/{effect}/model/model.safetensors",
        history="results/{effect}/model/history.csv",
        facts="results/{effect}/model/train.json",
    output:
        metrics="results/{effect}/metrics.json",
        plots=directory("results/{effect}/plots"),
    log:
        "results/{effect}/logs/evaluate.log",
    script:
        "../workflow_scripts/evaluate.py"
