/* ---- compressor, CO_P 1 (peak) or 2 (RMS): e = |x|^P,  v += (e − v)·(AA if e > v else AR)   (double, as the
 *      model's numba loop),  u = clamp(((10/P)·log10 v − FLOOR)/STEP, 0, K − 1),  k = min(⌊u⌋, K − 2),
 *      f = u − k,  y = x·(C[k] + f·(C[k+1] − C[k]))   (float).
 *      CO_P 3 (gain smoothed in dB): u from 20·log10|x|,  G = C[k] + f·(C[k+1] − C[k])  (float, dB),
 *      y1 = min(G, y1 + AR·(G − y1)),  yl += AA·(y1 − yl)  (double),  y = x·10^(yl/20);  y1 = yl = C[0] at reset.
 * Needs: CO_P, CO_K, CO_AA, CO_AR, CO_FLOOR, CO_STEP, CO_TINY (double), CO_CURVE[CO_K] (float). */
typedef struct {
    double v, y1, yl;
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }
static void model_reset(Model *m) { m->v = 0.0; m->y1 = m->yl = (double)CO_CURVE[0]; }

static inline float co_curve(double level_db) {
    double u = (level_db - CO_FLOOR) / CO_STEP;
    u = u < 0.0 ? 0.0 : (u > CO_K - 1.0 ? CO_K - 1.0 : u);
    int k = (int)floor(u);
    if (k > CO_K - 2) k = CO_K - 2;
    const float f = (float)(u - (double)k);
    const float lo = CO_CURVE[k];
    return lo + f * (CO_CURVE[k + 1] - lo);
}

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    double v = m->v, y1 = m->y1, yl = m->yl;
    for (int i = 0; i < n; ++i) {
        const double xi = (double)x[i];
        if (CO_P == 3) {
            const double a = fabs(xi);
            const double g = (double)co_curve(20.0 * log10(a > CO_TINY ? a : CO_TINY));
            const double r = y1 + CO_AR * (g - y1);
            y1 = g <= r ? g : r;
            yl = yl + CO_AA * (y1 - yl);
            y[i] = x[i] * (float)pow(10.0, yl / 20.0);
        } else {
            const double e = CO_P == 1 ? fabs(xi) : xi * xi;
            const double d = e - v;
            v = v + d * (d > 0.0 ? CO_AA : CO_AR);
            y[i] = x[i] * co_curve((10.0 / CO_P) * log10(v > CO_TINY ? v : CO_TINY));
        }
    }
    m->v = v;
    m->y1 = y1;
    m->yl = yl;
}
