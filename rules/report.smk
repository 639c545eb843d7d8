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


def _unknown_effect(wildcards):
    """Input function of `unknown_effect`: planning it means the target names no configured effect."""
    raise WorkflowError(str(FxcoreError(
        f"no effect {wildcards.name!r} for target results/{wildcards.name}/report.pdf", CONFIG_SOURCE,
        f"use one of {', '.join(EFFECTS)} or add {wildcards.name!r} under `effects:`")))


# Matches only names that are not effects (the lookahead), so it never competes with `report`;
# without it Snakemake answers an unknown effect with "No rule to produce ...".
rule unknown_effect:
    input:
        _unknown_effect,
    output:
        "results/{name}/report.pdf",
    wildcard_constraints:
        name="(?!(?:" + "|".join(EFFECTS) + ")/)[^/]+",
    shell:
        "false"
