# Stage 8: judge by ear — a blind ABX page per effect, and the index of every result.


rule listen:
    input:
        test=multiext("results/{effect}/test/", "clean.wav", "target.wav", "model.wav"),
        metrics="results/{effect}/metrics.json",
    output:
        html="results/{effect}/listen.html",
        audio=directory("results/{effect}/listen"),
    params:
        listen=listen_params,
    log:
        "results/{effect}/logs/listen.log",
    script:
        "../workflow_scripts/listen.py"


rule index:
    input:
        summary="results/summary.csv",
        listen=expand("results/{effect}/listen", effect=EFFECTS),
        pages=expand("results/{effect}/listen.html", effect=EFFECTS),
        reports=expand("results/{effect}/report.pdf", effect=EFFECTS),
    output:
        "results/index.html",
    log:
        "results/logs/index.log",
    script:
        "../workflow_scripts/index.py"
