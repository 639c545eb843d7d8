/* ---- flanger: y = dry·x + wet·float(mean over voices of w_v), in double like the model's numba recursion:
 *      θ_v = 2π·frac(rate·t/sr) + (φ + v·spread),  lfo = sin θ + s·(tri θ − sin θ),
 *      d = clamp((centre + depth·lfo)·sr/1000, 1, LINE − 2),
 *      w_v = (1 − f)·u_v[t − ⌊d⌋] + f·u_v[t − ⌊d⌋ − 1], f = d − ⌊d⌋   (FL_INTEGER 1: u_v[t − ⌊d + ½⌋]),
 *      u_v[t] = x[t] + fb·w_v[t]   (each voice its own line and loop).
 *      t counts samples since activate(), as the model's `start` counts them from the track's start.
 * Needs: FL_V (voices), FL_LINE, FL_INTEGER, FL_SR, FL_RATE, FL_PHASE, FL_SPREAD, FL_CENTRE, FL_DEPTH, FL_FB,
 *        FL_SHAPE (double), FL_DRY, FL_WET (float). */
typedef struct {
    double u[FL_V][FL_LINE + FX_CHUNK]; /* each voice's line: the last LINE samples of u, then the chunk */
    uint64_t t;
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }
static void model_reset(Model *m) { memset(m, 0, sizeof(Model)); }

static void model_process(Model *m, const float *x, float *y, int n) {
    for (int i = 0; i < n; ++i) {
        double total = 0.0;
        for (int vc = 0; vc < FL_V; ++vc) {
            const double lfo = fx_lfo_double(m->t + (uint64_t)i, FL_RATE, FL_SR, FL_PHASE + (double)vc * FL_SPREAD,
                                             FL_SHAPE);
            double d = (FL_CENTRE + FL_DEPTH * lfo) * 1e-3 * FL_SR;
            d = d < 1.0 ? 1.0 : (d > (double)(FL_LINE - 2) ? (double)(FL_LINE - 2) : d);
            double *u = m->u[vc];
            const int pos = FL_LINE + i;
#if FL_INTEGER
            const double w = u[pos - (int)floor(d + 0.5)];
#else
            const double di = floor(d), f = d - di;
            const double w = (1.0 - f) * u[pos - (int)di] + f * u[pos - (int)di - 1];
#endif
            u[pos] = (double)x[i] + FL_FB * w;
            total += w;
        }
        y[i] = FL_DRY * x[i] + FL_WET * (float)(total / (double)FL_V);
    }
    m->t += (uint64_t)n;
    for (int vc = 0; vc < FL_V; ++vc) memmove(m->u[vc], m->u[vc] + n, sizeof(double) * FL_LINE);
}
