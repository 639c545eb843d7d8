# Stage 7: the per-effect PDF report and the cross-effect summary.


rule report:
    input:
        metrics="results/{effect}/metrics.json",
        plots="results/{effect}/plots",
        dataset="results/{effect}/dataset",
        facts="results/{effect}/model/train.json",
    output:
        "results/{effect}/report.pdf",
    params:
        effect=effect_params,
        notes=CFG.report.notes,
    log:
        "results/{effect}/logs/report.log",
    script:
        "../workflow_scripts/report.py"


rule summary:
    input:
        metrics=expand("results/{effect}/metrics.json", effect=EFFECTS),
        facts=expand("results/{effect}/model/train.json", effect=EFFECTS),
    output:
        csv="results/summary.csv",
        pdf="results/summary.pdf",
    log:
        "results/logs/summary.log",
    script:
        "../workflow_scripts/summary.py"
