/* ---- hybrid: y = b + net([b, x]),  b = the block's output (its C above, renamed Block*):
 *      h_0 = W_in·[b; x] + b_in;  per layer l (dilation d_l): h_{l+1} = h_l + W_m·tanh(W_c ∗_d h_l + b_c) + b_m,
 *      (W_c ∗_d h)(t) = Σ_k W_c[k]·h(t − (K−1−k)·d);  net = W_out·h_NL + b_out.
 * Layer l keeps (K−1)·d_l past values of its input per channel; a chunk is one small GEMM per layer.
 * Needs: HY_C, HY_K, HY_NL, HY_DIL[NL], HY_INW[C·2], HY_INB[C], HY_CW[NL·C·KC] (tap-major, oldest first),
 * HY_CB[NL·C], HY_MW[NL·C·C], HY_MB[NL·C], HY_OW[C], HY_OB[1]. */
typedef struct {
    BlockModel block;
    float *buf[HY_NL + 1]; /* layer l's input: C rows of (K−1)·d_l past values + the chunk */
    int trim[HY_NL + 1];
    float z[HY_C][FX_CHUNK], r[HY_C][FX_CHUNK], last[HY_C][FX_CHUNK], out[1][FX_CHUNK], b[FX_CHUNK];
} Model;

static int model_init(Model *m) {
    if (block_init(&m->block) != 0) return -1;
    for (int l = 0; l < HY_NL; ++l) {
        m->trim[l] = (HY_K - 1) * HY_DIL[l];
        m->buf[l] = calloc((size_t)HY_C * (m->trim[l] + FX_CHUNK), sizeof(float));
        if (!m->buf[l]) return -1;
    }
    return 0;
}

static void model_free(Model *m) {
    block_free(&m->block);
    for (int l = 0; l < HY_NL; ++l) free(m->buf[l]);
}

/* Row c of layer l's input for the current chunk (layer NL: the last layer's output). */
static inline float *hy_row(Model *m, int l, int c) {
    return l < HY_NL ? m->buf[l] + (size_t)c * (m->trim[l] + FX_CHUNK) + m->trim[l] : m->last[c];
}

/* The correction for the chunk of block output b and input x: out[0][i] = net([b, x])(i). */
FX_HOT static void hy_net(Model *m, const float *b, const float *x, int n) {
    const float *rows[HY_K * HY_C > HY_C ? HY_K * HY_C : HY_C];
    for (int c = 0; c < HY_C; ++c) {
        float *h = hy_row(m, 0, c);
        for (int i = 0; i < n; ++i) h[i] = HY_INB[c] + HY_INW[2 * c] * b[i] + HY_INW[2 * c + 1] * x[i];
    }
    for (int l = 0; l < HY_NL; ++l) {
        const int stride = m->trim[l] + FX_CHUNK, d = HY_DIL[l];
        for (int k = 0; k < HY_K; ++k) /* tap k (oldest first) of channel c: position i + k·d */
            for (int c = 0; c < HY_C; ++c) rows[k * HY_C + c] = m->buf[l] + (size_t)c * stride + k * d;
        fx_dense(HY_CW + (size_t)l * HY_C * HY_K * HY_C, HY_CB + l * HY_C, HY_C, HY_K * HY_C, rows, m->z, n, 1);
        for (int c = 0; c < HY_C; ++c) rows[c] = m->z[c];
        fx_dense(HY_MW + (size_t)l * HY_C * HY_C, HY_MB + l * HY_C, HY_C, HY_C, rows, m->r, n, 0);
        for (int c = 0; c < HY_C; ++c) {
            const float *h = hy_row(m, l, c);
            float *next = hy_row(m, l + 1, c);
            for (int i = 0; i < n; ++i) next[i] = h[i] + m->r[c][i];
        }
    }
    for (int c = 0; c < HY_C; ++c) rows[c] = m->last[c];
    fx_dense(HY_OW, HY_OB, 1, HY_C, rows, m->out, n, 0);
    for (int l = 0; l < HY_NL; ++l) {
        const int stride = m->trim[l] + FX_CHUNK;
        for (int c = 0; c < HY_C; ++c)
            memmove(m->buf[l] + (size_t)c * stride, m->buf[l] + (size_t)c * stride + n, sizeof(float) * m->trim[l]);
    }
}

static void model_process(Model *m, const float *x, float *y, int n) {
    block_process(&m->block, x, m->b, n);
    hy_net(m, m->b, x, n);
    for (int i = 0; i < n; ++i) y[i] = m->b[i] + m->out[0][i];
}

/* Silence before the stream: the model pads the net's input [b, x] with zeros (the block answers
 * silence with silence), so every layer's past holds its response to zero input (the biases). */
static void model_reset(Model *m) {
    block_reset(&m->block);
    int total = 0;
    for (int l = 0; l < HY_NL; ++l) {
        memset(m->buf[l], 0, sizeof(float) * (size_t)HY_C * (m->trim[l] + FX_CHUNK));
        total += m->trim[l];
    }
    const float zero[FX_CHUNK] = {0};
    for (int t = 0; t < total + FX_CHUNK; t += FX_CHUNK) hy_net(m, zero, zero, FX_CHUNK);
}
