/* ---- lstm / gru (PyTorch gate order), layers stacked, then y = W·h + b (+ x with skip).
 * LSTM: [i f g o] = W_ih·x + b_ih + W_hh·h + b_hh; c = σf·c + σi·tanh g; h = σo·tanh c.
 * GRU:  r, z = σ(W_i{r,z}·x + b + W_h{r,z}·h + b); n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)); h = (1−z)·n + z·h.
 * Sample by sample (a recurrence); the gate products are vectorised over the G = 4H (3H) gate rows:
 * the weights are stored column-major (RN_IH[l][j][g], RN_HH[l][j][g]).
 * Needs: RN_H, RN_NL, RN_G, RN_LSTM, RN_SKIP, RN_IH (layer 0: 1 input; others: H), RN_HH, RN_BIH, RN_BHH, RN_W, RN_B. */
typedef struct {
    float h[RN_NL][RN_H], c[RN_NL][RN_H];
    float gi[RN_G], gh[RN_G], in[RN_H];
} Model;

static int model_init(Model *m) { (void)m; return 0; }
static void model_free(Model *m) { (void)m; }
static void model_reset(Model *m) { memset(m, 0, sizeof(Model)); } /* the model starts from zero state */

static void rn_gates(const float *W, const float *b, const float *v, int n_in, float *g) {
    for (int r = 0; r < RN_G; ++r) g[r] = b[r];
    for (int j = 0; j < n_in; ++j) {
        const float vj = v[j];
        const float *w = W + (size_t)j * RN_G;
        for (int r = 0; r < RN_G; ++r) g[r] += w[r] * vj;
    }
}

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    for (int t = 0; t < n; ++t) {
        m->in[0] = x[t];
        size_t ih = 0;
        for (int l = 0; l < RN_NL; ++l) {
            const int n_in = l == 0 ? 1 : RN_H;
            rn_gates(RN_IH + ih, RN_BIH + (size_t)l * RN_G, m->in, n_in, m->gi);
            rn_gates(RN_HH + (size_t)l * RN_H * RN_G, RN_BHH + (size_t)l * RN_G, m->h[l], RN_H, m->gh);
            ih += (size_t)n_in * RN_G;
            float *h = m->h[l];
#if RN_LSTM
            float *c = m->c[l];
            for (int k = 0; k < RN_H; ++k) {
                const float gi = fx_sigmoid(m->gi[k] + m->gh[k]);
                const float gf = fx_sigmoid(m->gi[RN_H + k] + m->gh[RN_H + k]);
                const float gg = fx_tanh(m->gi[2 * RN_H + k] + m->gh[2 * RN_H + k]);
                const float go = fx_sigmoid(m->gi[3 * RN_H + k] + m->gh[3 * RN_H + k]);
                c[k] = gf * c[k] + gi * gg;
                h[k] = go * fx_tanh(c[k]);
            }
#else
            for (int k = 0; k < RN_H; ++k) {
                const float r = fx_sigmoid(m->gi[k] + m->gh[k]);
                const float z = fx_sigmoid(m->gi[RN_H + k] + m->gh[RN_H + k]);
                const float nn = fx_tanh(m->gi[2 * RN_H + k] + r * m->gh[2 * RN_H + k]);
                h[k] = (1.0f - z) * nn + z * h[k];
            }
#endif
            memcpy(m->in, h, sizeof(float) * RN_H);
        }
        float out = RN_B[0];
        for (int k = 0; k < RN_H; ++k) out += RN_W[k] * m->h[RN_NL - 1][k];
        y[t] = RN_SKIP ? out + x[t] : out;
    }
}
