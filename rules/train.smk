# Stage 4: train the effect's model (on the GPU the scheduler gives the job, else the CPU).


rule train_model:
    input:
        "results/{effect}/dataset",
    output:
        model="results/{effect}/model/model.safetensors",
        history="results/{effect}/model/history.csv",
        facts="results/{effect}/model/train.json",
    params:
        recipe=recipe_params,
        seed=CFG.seed,
        checkpoints="results/{effect}/checkpoints",
    threads: 2
    resources:
        gpu=1,
    log:
        "results/{effect}/logs/train_model.log",
    script:
        "../workflow_scripts/train_model.py"
