/* ---- wiener_hammerstein: u = A ⋆ x (C FIRs), v = MLP(u) + u, y = Σ_c B_c ∗ v_c + LIN ∗ x,
 *      with dynamics (WH_K > 0): y ·= 10^(g/20), g = 20·MLP_g(log10(e + 1e-5)), e = peak envelopes of |x|;
 *      with WH_HP > 0 first-order high-passes x ← g_k(x − x₋₁) + p_k·x_out₋₁ feed the FIRs (not the envelopes),
 *      with WH_HPO > 0 the same sections (WH_HPOG/WH_HPOP) on y last.
 * Needs: WH_C, WH_H, WH_TI, WH_TO, WH_LT, WH_K, WH_HP, WH_HPO, with WH_HP > 0 WH_HPG/WH_HPP[HP] (double), with
 * WH_HPO > 0 WH_HPOG/WH_HPOP[HPO] (double), arrays WH_A[C·TI] (each row reversed: a convolution), WH_W1/B1, WH_W2/B2, WH_W3/B3,
 * WH_B[C·TO], WH_LIN[LT] and, with WH_K > 0, WH_ATT/WH_REL[K] (double), WH_G1/GB1, WH_G2/GB2, WH_G3/GB3. */
#define WH_XH ((WH_TI > WH_LT ? WH_TI : WH_LT) - 1)

typedef struct {
    float xh[WH_XH + FX_CHUNK];          /* input: the last WH_XH samples, then the chunk */
    float vh[WH_C][WH_TO - 1 + FX_CHUNK]; /* branch outputs v: the last TO − 1 samples, then the chunk */
    float u[WH_C][FX_CHUNK], z1[WH_H][FX_CHUNK], z2[WH_H][FX_CHUNK], d[WH_C][FX_CHUNK];
#if WH_HP > 0
    double hpx[WH_HP], hpy[WH_HP];        /* each section's last input and output */
#endif
#if WH_HPO > 0
    double hpox[WH_HPO], hpoy[WH_HPO];    /* the same for the output sections */
#endif
#if WH_K > 0
    double env[WH_K];
    float f[WH_K][FX_CHUNK], g1[WH_H][FX_CHUNK], g2[WH_H][FX_CHUNK], g[1][FX_CHUNK];
#endif
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }

/* First-order high-pass sections in place on s[0..n): the model applies this recursion's impulse response (HP_TAPS long). */
static inline void wh_highpass(float *s, int n, int sections, const double *gs, const double *ps, double *xs, double *ys) {
    for (int k = 0; k < sections; ++k) {
        double x1 = xs[k], y1 = ys[k];
        const double g = gs[k], p = ps[k];
        for (int i = 0; i < n; ++i) {
            const double v = (double)s[i];
            y1 = g * (v - x1) + p * y1;
            x1 = v;
            s[i] = (float)y1;
        }
        xs[k] = x1;
        ys[k] = y1;
    }
}

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    float *xn = m->xh + WH_XH; /* xn[i] = x[i]; xn[-k] = x[i − k] */
    memcpy(xn, x, (size_t)n * sizeof(float));
#if WH_HP > 0
    wh_highpass(xn, n, WH_HP, WH_HPG, WH_HPP, m->hpx, m->hpy);
#endif
    for (int c = 0; c < WH_C; ++c) { /* u_c = A_c ∗ x: WH_A holds each conv1d kernel reversed */
        for (int i = 0; i < n; ++i) m->u[c][i] = 0.0f;
        fx_conv(m->u[c], WH_A + c * WH_TI, WH_TI, xn, n);
    }
    const float *rows[WH_C > WH_H ? WH_C : WH_H];
    for (int c = 0; c < WH_C; ++c) rows[c] = m->u[c];
    fx_dense(WH_W1, WH_B1, WH_H, WH_C, rows, m->z1, n, 1);
    for (int h = 0; h < WH_H; ++h) rows[h] = m->z1[h];
    fx_dense(WH_W2, WH_B2, WH_H, WH_H, rows, m->z2, n, 1);
    for (int h = 0; h < WH_H; ++h) rows[h] = m->z2[h];
    fx_dense(WH_W3, WH_B3, WH_C, WH_H, rows, m->d, n, 0);
    for (int c = 0; c < WH_C; ++c) {
        float *v = m->vh[c] + WH_TO - 1;
        for (int i = 0; i < n; ++i) v[i] = m->d[c][i] + m->u[c][i];
    }
    for (int i = 0; i < n; ++i) y[i] = 0.0f;
    for (int c = 0; c < WH_C; ++c) fx_conv(y, WH_B + c * WH_TO, WH_TO, m->vh[c] + WH_TO - 1, n); /* Σ_c B_c ∗ v_c */
    fx_conv(y, WH_LIN, WH_LT, xn, n);
#if WH_K > 0
    for (int k = 0; k < WH_K; ++k) { /* peak ballistics in double, as the model's numba kernel */
        double e = m->env[k];
        const double a = WH_ATT[k], r = WH_REL[k];
        for (int i = 0; i < n; ++i) {
            const double v = fabs((double)x[i]);
            e = v + (v > e ? a : r) * (e - v);
            m->f[k][i] = log10f((float)e + 1e-5f);
        }
        m->env[k] = e;
    }
    const float *frows[WH_K > WH_H ? WH_K : WH_H];
    for (int k = 0; k < WH_K; ++k) frows[k] = m->f[k];
    fx_dense(WH_G1, WH_GB1, WH_H, WH_K, frows, m->g1, n, 1);
    for (int h = 0; h < WH_H; ++h) frows[h] = m->g1[h];
    fx_dense(WH_G2, WH_GB2, WH_H, WH_H, frows, m->g2, n, 1);
    for (int h = 0; h < WH_H; ++h) frows[h] = m->g2[h];
    fx_dense(WH_G3, WH_GB3, 1, WH_H, frows, m->g, n, 0);
    for (int i = 0; i < n; ++i) y[i] *= powf(10.0f, (m->g[0][i] * 20.0f) / 20.0f);
#endif
#if WH_HPO > 0
    wh_highpass(y, n, WH_HPO, WH_HPOG, WH_HPOP, m->hpox, m->hpoy);
#endif
    memmove(m->xh, m->xh + n, (size_t)WH_XH * sizeof(float));
    for (int c = 0; c < WH_C; ++c) memmove(m->vh[c], m->vh[c] + n, (size_t)(WH_TO - 1) * sizeof(float));
}

/* Silence before the stream: the model pads with zero input, so v's history is MLP(0) — run zeros through. */
static void model_reset(Model *m) {
    memset(m, 0, sizeof(Model));
    float zero[FX_CHUNK] = {0}, out[FX_CHUNK];
    for (int t = 0; t < WH_TO - 1 + WH_XH; t += FX_CHUNK) model_process(m, zero, out, FX_CHUNK);
#if WH_K > 0
    for (int k = 0; k < WH_K; ++k) m->env[k] = 0.0;
#endif
#if WH_HPO > 0 /* the model's output high-pass starts from silence: v's MLP(0) history reaches it as a step */
    for (int k = 0; k < WH_HPO; ++k) m->hpox[k] = m->hpoy[k] = 0.0;
#endif
}
