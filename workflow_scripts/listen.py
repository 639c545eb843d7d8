"""Snakemake adapter: results/<effect>/listen.html and its excerpts."""

import json

from fxcore.jobs import job
from fxcore.listen import build_listen

with job(snakemake) as log:  # noqa: F821
    s = snakemake  # noqa: F821
    opts = json.loads(s.params.listen)
    m = build_listen(s.input.test[0].rsplit("/", 1)[0], s.input.metrics, s.output.html, s.output.audio,
                     opts["trials"], opts["excerpt_seconds"])
    log.info("%d excerpts at %.1f LUFS; %.0f %% of %d 1-s windows below JND (clean input %.0f %%)",
             len(m["excerpts"]), m["level_lufs"], 100 * m["proxy"]["below_jnd"], m["proxy"]["windows"],
             100 * m["proxy"]["below_jnd_clean"])
