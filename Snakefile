# fxcore: synthesis → effect rendering → dataset shards → training → model rendering → evaluation → report, listen
#   snakemake --cores 8 results/fuzz/report.pdf        one effect
#   snakemake --cores 8                                 every effect + results/summary.pdf + results/index.html
import os
import sys

from snakemake.utils import min_version

min_version("9.0")


# Snakemake reports a YAML syntax error in config.yaml naming neither the file nor the line: read it first.
# (A broken --configfile fails inside Snakemake before this line; `fxcore check-config FILE` names its line.)
if os.path.exists("config.yaml"):
    sys.path.insert(0, workflow.basedir)
    from fxcore.config import read_yaml
    from fxcore.errors import FxcoreError

    try:
        read_yaml("config.yaml")
    except FxcoreError as exc:
        raise WorkflowError(str(exc)) from None


configfile: "config.yaml"


include: "rules/common.smk"


rule all:
    input:
        expand("results/{effect}/report.pdf", effect=EFFECTS),
        "results/summary.csv",
        "results/summary.pdf",
        "results/index.html",


include: "rules/synth.smk"
include: "rules/render_effect.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/apply_model.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"
include: "rules/listen.smk"
include: "rules/export.smk"
