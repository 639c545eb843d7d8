/* ---- wavenet: h_0 = W_in·x + b_in;  per layer: [f; g] = W_c·[h(t − (K−1)d), …, h(t)] + b_c,
 *      z = tanh f ⊙ σ g,  [r; s] = W_o·z + b_o,  h_{l+1} = h_l + r,  S += s;
 *      y = W_2·tanh(W_1·tanh S + b_1) + b_2 (+ Σ_k L[k]·x[t − (LT−1) + k]).
 * Each layer keeps (K−1)·d past values of its input per channel; a chunk is one small GEMM per layer.
 * Needs: WN_C, WN_K, WN_NL, WN_HC, WN_LT, WN_DIL[NL], WN_INW/INB[C], WN_CW[NL·2C·KC], WN_CB[NL·2C],
 * WN_OW[NL·2C·C], WN_OB[NL·2C], WN_H1W[HC·C], WN_H1B[HC], WN_H2W[HC], WN_H2B[1], WN_LW[LT or 1]. */
#define WN_LH (WN_LT > 1 ? WN_LT - 1 : 0)

typedef struct {
    float *buf[WN_NL];  /* layer l's input: C rows of (K−1)·d_l past values + the chunk */
    int trim[WN_NL];
    float xh[WN_LH + FX_CHUNK];
    float fg[2 * WN_C][FX_CHUNK], z[WN_C][FX_CHUNK], rs[2 * WN_C][FX_CHUNK], skip[WN_C][FX_CHUNK];
    float a[WN_HC][FX_CHUNK], out[1][FX_CHUNK], last[WN_C][FX_CHUNK];
} Model;

static int model_init(Model *m) {
    for (int l = 0; l < WN_NL; ++l) {
        m->trim[l] = (WN_K - 1) * WN_DIL[l];
        m->buf[l] = calloc((size_t)WN_C * (m->trim[l] + FX_CHUNK), sizeof(float));
        if (!m->buf[l]) return -1;
    }
    return 0;
}

static void model_free(Model *m) {
    for (int l = 0; l < WN_NL; ++l) free(m->buf[l]);
}

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    const float *rows[WN_K * WN_C > 2 * WN_C ? WN_K * WN_C : 2 * WN_C];
    for (int c = 0; c < WN_C; ++c) { /* the input 1×1 convolution, into layer 0's buffer */
        float *h = m->buf[0] + (size_t)c * (m->trim[0] + FX_CHUNK) + m->trim[0];
        for (int i = 0; i < n; ++i) h[i] = WN_INW[c] * x[i] + WN_INB[c];
    }
    for (int c = 0; c < WN_C; ++c)
        for (int i = 0; i < n; ++i) m->skip[c][i] = 0.0f;
    for (int l = 0; l < WN_NL; ++l) {
        const int stride = m->trim[l] + FX_CHUNK, d = WN_DIL[l];
        for (int k = 0; k < WN_K; ++k) /* tap k (oldest first) of channel c: position i + k·d */
            for (int c = 0; c < WN_C; ++c) rows[k * WN_C + c] = m->buf[l] + (size_t)c * stride + k * d;
        fx_dense(WN_CW + (size_t)l * 2 * WN_C * WN_K * WN_C, WN_CB + l * 2 * WN_C, 2 * WN_C, WN_K * WN_C, rows,
                 m->fg, n, 0);
        for (int c = 0; c < WN_C; ++c)
            for (int i = 0; i < n; ++i) m->z[c][i] = fx_tanh(m->fg[c][i]) * fx_sigmoid(m->fg[WN_C + c][i]);
        for (int c = 0; c < WN_C; ++c) rows[c] = m->z[c];
        fx_dense(WN_OW + (size_t)l * 2 * WN_C * WN_C, WN_OB + l * 2 * WN_C, 2 * WN_C, WN_C, rows, m->rs, n, 0);
        for (int c = 0; c < WN_C; ++c) {
            const float *h = m->buf[l] + (size_t)c * stride + m->trim[l];
            float *next = l + 1 < WN_NL
                ? m->buf[l + 1] + (size_t)c * (m->trim[l + 1] + FX_CHUNK) + m->trim[l + 1] : m->last[c];
            for (int i = 0; i < n; ++i) {
                next[i] = h[i] + m->rs[c][i];
                m->skip[c][i] += m->rs[WN_C + c][i];
            }
        }
    }
    for (int c = 0; c < WN_C; ++c) {
        for (int i = 0; i < n; ++i) m->skip[c][i] = fx_tanh(m->skip[c][i]);
        rows[c] = m->skip[c];
    }
    fx_dense(WN_H1W, WN_H1B, WN_HC, WN_C, rows, m->a, n, 1);
    for (int c = 0; c < WN_HC; ++c) rows[c] = m->a[c];
    fx_dense(WN_H2W, WN_H2B, 1, WN_HC, rows, m->out, n, 0);
    memcpy(y, m->out[0], (size_t)n * sizeof(float));
#if WN_LT > 0
    float *xn = m->xh + WN_LH;
    memcpy(xn, x, (size_t)n * sizeof(float));
    for (int k = 0; k < WN_LT; ++k) { /* conv1d is a correlation: tap LT−1 meets the newest sample */
        const float w = WN_LW[k];
        const float *xs = xn - (WN_LT - 1) + k;
        for (int i = 0; i < n; ++i) y[i] += w * xs[i];
    }
    memmove(m->xh, m->xh + n, sizeof(float) * WN_LH);
#endif
    for (int l = 0; l < WN_NL; ++l) {
        const int stride = m->trim[l] + FX_CHUNK;
        for (int c = 0; c < WN_C; ++c)
            memmove(m->buf[l] + (size_t)c * stride, m->buf[l] + (size_t)c * stride + n, sizeof(float) * m->trim[l]);
    }
}

/* Silence before the stream: every layer's past holds its response to zero input (the biases). */
static void model_reset(Model *m) {
    int total = 0;
    for (int l = 0; l < WN_NL; ++l) {
        memset(m->buf[l], 0, sizeof(float) * (size_t)WN_C * (m->trim[l] + FX_CHUNK));
        total += m->trim[l];
    }
    memset(m->xh, 0, sizeof(m->xh));
    float zero[FX_CHUNK] = {0}, out[FX_CHUNK];
    for (int t = 0; t < total + FX_CHUNK; t += FX_CHUNK) model_process(m, zero, out, FX_CHUNK);
    memset(m->xh, 0, sizeof(m->xh));
}
