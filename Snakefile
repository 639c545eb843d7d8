# fxcore: synthesis → effect rendering → dataset shards → training → model rendering → evaluation → report
#   snakemake --cores 8 results/fuzz/report.pdf        one effect
#   snakemake --cores 8                                 every effect + results/summary.pdf
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "rules/common.smk"


rule all:
    input:
        expand("results/{effect}/report.pdf", effect=EFFECTS),
        "results/summary.csv",
        "results/summary.pdf",


include: "rules/synth.smk"
include: "rules/render_effect.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/apply_model.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"
include: "rules/export.smk"
