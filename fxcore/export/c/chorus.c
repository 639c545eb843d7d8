/* ---- chorus: y = Σ_k A[k]·x[t−k] + Σ_k B[k]·w[t−k]  (k < TAPS),  v = x + fb·w,  w = Σ_j GAIN[j]·w_j,
 *      w_j[t] = v[t−⌊d⌋−1] + f·(v[t−⌊d⌋] − v[t−⌊d⌋−1]),  f = 1 − (d − ⌊d⌋)   (CH_INTEGER 0: linear taps)
 *      w_j[t] = v[t − rint(d)], rint(d) = 0 read as WRAP when WRAP > 0          (CH_INTEGER 1: rounded taps)
 *      d = d_j(t) = clamp((CENTRE[j] + DEPTH[j]·lfo(θ_j))·sr/1000, WRAP ? 0 : 1, LINE − 2), θ_j and lfo as
 *      in lfo.h with RATE[j], PHASE[j], SHAPE[j] (t: samples since activate()); GAIN[0] = 1.
 * Needs: CH_HIST (≥ LINE, WRAP + 2), CH_LINE, CH_WRAP, CH_SR, CH_SR_MS, CH_FB, CH_TAPS, CH_VOICES, CH_INTEGER,
 *        CH_RATE[] (double), CH_PHASE[], CH_CENTRE[], CH_DEPTH[], CH_SHAPE[], CH_GAIN[] (per voice),
 *        CH_A[CH_TAPS], CH_B[CH_TAPS]. */
typedef struct {
    float v[CH_HIST + FX_CHUNK];        /* the delay line: the last HIST samples of v, then the chunk */
    float xh[CH_TAPS - 1 + FX_CHUNK];   /* the dry FIR's input: TAPS − 1 past samples, then the chunk */
    float wh[CH_TAPS - 1 + FX_CHUNK];   /* the wet FIR's input, likewise */
    uint64_t t;
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }
static void model_reset(Model *m) { memset(m, 0, sizeof(Model)); }

static inline float ch_voice(const Model *m, int j, int i) {
    const float lfo = fx_lfo(fx_lfo_theta(m->t + (uint64_t)i, CH_RATE[j], CH_SR, CH_PHASE[j]), CH_SHAPE[j]);
    float d = (CH_CENTRE[j] + CH_DEPTH[j] * lfo) * CH_SR_MS;
    const float lo_d = CH_WRAP ? 0.0f : 1.0f;
    d = d < lo_d ? lo_d : (d > (float)(CH_LINE - 2) ? (float)(CH_LINE - 2) : d);
#if CH_INTEGER
    const int k = (int)rintf(d);
    return m->v[CH_HIST + i - (CH_WRAP && k == 0 ? CH_WRAP : k)];
#else
    const float di = floorf(d), f = 1.0f - (d - di);
    const int k = CH_HIST + i - (int)di - 1;
    const float lo = m->v[k];
    return lo + f * (m->v[k + 1] - lo);
#endif
}

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    for (int i = 0; i < n; ++i) {
        float w = ch_voice(m, 0, i);
        for (int j = 1; j < CH_VOICES; ++j) w = w + CH_GAIN[j] * ch_voice(m, j, i);
        float *xh = m->xh + CH_TAPS - 1 + i, *wh = m->wh + CH_TAPS - 1 + i;
        *xh = x[i];
        *wh = w;
        float acc = 0.0f;
        for (int k = 0; k < CH_TAPS; ++k) acc += CH_A[k] * xh[-k] + CH_B[k] * wh[-k];
        y[i] = acc;
        m->v[CH_HIST + i] = x[i] + CH_FB * w;
    }
    m->t += (uint64_t)n;
    memmove(m->v, m->v + n, sizeof(float) * CH_HIST);
    memmove(m->xh, m->xh + n, sizeof(float) * (CH_TAPS - 1));
    memmove(m->wh, m->wh + n, sizeof(float) * (CH_TAPS - 1));
}
