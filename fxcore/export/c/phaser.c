/* ---- phaser: y = dry·x + wet·float(mean over voices of w_v), in double like the model's numba recursion:
 *      θ_v = 2π·frac(rate·t/sr) + (φ + v·spread),  lfo = sin θ + s·(tri θ − sin θ),
 *      f = clamp(f0·2^(depth·lfo), 5, 0.49·sr),  τ = tan(π f/sr),  a = (τ − 1)/(τ + 1),
 *      v = x + fb·w[t−1],  per stage k: u_k = a·u_{k−1} + u_{k−1}[t−1] − a·u_k[t−1],  w = u_K.
 *      t counts samples since activate(), as the model's `start` counts them from the track's start.
 * Needs: PH_K (stages), PH_V (voices), PH_SR, PH_RATE, PH_PHASE, PH_SPREAD, PH_F0, PH_DEPTH, PH_FB,
 *        PH_SHAPE (double), PH_DRY, PH_WET (float). */
typedef struct {
    double uin[PH_V][PH_K];  /* each stage's previous input */
    double uout[PH_V][PH_K]; /* each stage's previous output */
    double wprev[PH_V];      /* w[t−1], fed back */
    uint64_t t;
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }
static void model_reset(Model *m) { memset(m, 0, sizeof(Model)); }

static void model_process(Model *m, const float *x, float *y, int n) {
    for (int i = 0; i < n; ++i) {
        double total = 0.0;
        for (int vc = 0; vc < PH_V; ++vc) {
            const double lfo = fx_lfo_double(m->t + (uint64_t)i, PH_RATE, PH_SR, PH_PHASE + (double)vc * PH_SPREAD,
                                             PH_SHAPE);
            double f = PH_F0 * pow(2.0, PH_DEPTH * lfo);
            f = f < 5.0 ? 5.0 : (f > 0.49 * PH_SR ? 0.49 * PH_SR : f);
            const double tn = tan(FX_PI * f / PH_SR);
            const double a = (tn - 1.0) / (tn + 1.0);
            double v = (double)x[i] + PH_FB * m->wprev[vc];
            for (int k = 0; k < PH_K; ++k) {
                const double out = a * v + m->uin[vc][k] - a * m->uout[vc][k];
                m->uin[vc][k] = v;
                m->uout[vc][k] = out;
                v = out;
            }
            m->wprev[vc] = v;
            total += v;
        }
        y[i] = PH_DRY * x[i] + PH_WET * (float)(total / (double)PH_V);
    }
    m->t += (uint64_t)n;
}
