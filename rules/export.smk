# Optional stage: the trained model as a compiled LV2 plugin (needs cc and lv2-dev; not in `all`).
#   snakemake --cores 2 results/fuzz/plugin.lv2     one effect
#   snakemake --cores 2 plugins                     every configured effect


rule plugins:
    input:
        expand("results/{effect}/plugin.lv2", effect=EFFECTS),


rule export_plugin:
    input:
        model="results/{effect}/model/model.safetensors",
    output:
        bundle=directory("results/{effect}/plugin.lv2"),
    log:
        "results/{effect}/logs/export_plugin.log",
    script:
        "../workflow_scripts/export_plugin.py"
