/* ---- tremolo: y[t] = x[t]·g(t),  g = centre + amp·lfo(θ(t)),  θ and lfo as in lfo.h
 * (t: samples since activate(), as the model's `start` counts them from the track's start).
 * Needs: TR_SR, TR_RATE (double), TR_PHASE, TR_CENTRE, TR_AMP, TR_SHAPE (float). */
typedef struct {
    uint64_t t;
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }
static void model_reset(Model *m) { m->t = 0; }

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    for (int i = 0; i < n; ++i) {
        const float g = TR_CENTRE + TR_AMP * fx_lfo(fx_lfo_theta(m->t + (uint64_t)i, TR_RATE, TR_SR, TR_PHASE), TR_SHAPE);
        y[i] = x[i] * g;
    }
    m->t += (uint64_t)n;
}
