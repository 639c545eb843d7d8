/* ---- compressor: e = |x|^P,  v += (e − v)·(AA if e > v else AR)   (double, as the model's numba loop),
 *      u = clamp(((10/P)·log10 v − FLOOR)/STEP, 0, K − 1),  k = min(⌊u⌋, K − 2),  f = u − k,
 *      y = x·(C[k] + f·(C[k+1] − C[k]))   (float).
 * Needs: CO_P, CO_K, CO_AA, CO_AR, CO_FLOOR, CO_STEP, CO_TINY (double), CO_CURVE[CO_K] (float). */
typedef struct {
    double v;
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }
static void model_reset(Model *m) { m->v = 0.0; }

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    double v = m->v;
    for (int i = 0; i < n; ++i) {
        const double xi = (double)x[i];
        const double e = CO_P == 1 ? fabs(xi) : xi * xi;
        const double d = e - v;
        v = v + d * (d > 0.0 ? CO_AA : CO_AR);
        double u = ((10.0 / CO_P) * log10(v > CO_TINY ? v : CO_TINY) - CO_FLOOR) / CO_STEP;
        u = u < 0.0 ? 0.0 : (u > CO_K - 1.0 ? CO_K - 1.0 : u);
        int k = (int)floor(u);
        if (k > CO_K - 2) k = CO_K - 2;
        const float f = (float)(u - (double)k);
        const float lo = CO_CURVE[k];
        y[i] = x[i] * (lo + f * (CO_CURVE[k + 1] - lo));
    }
    m->v = v;
}
