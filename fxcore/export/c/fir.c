/* ---- A long FIR y[t] = Σ_k H[k]·x[t−k] (ir, feedback_delay), zero latency at any block size:
 * taps [0, P) in the time domain (direct form, per chunk), taps [P, L) by uniformly partitioned
 * overlap-save FFT convolution in NP partitions of P taps (FFT size N = 2P, radix 2). The tail of
 * output block m+1 depends on input up to block m only, so it is computed when block m completes
 * (frequency-domain delay line of past input spectra × partition spectra, one inverse FFT).
 * Needs: FIR_L, FIR_P (power of two), FIR_NP = ceil((L − P)/P) if L > P else 0, array FIR_H[L]. */
#define FIR_HEAD (FIR_L < FIR_P ? FIR_L : FIR_P)
#define FIR_N (2 * FIR_P)
#define FIR_B (FIR_P + 1) /* bins of a real FFT of size N */

typedef struct {
    float hist[FIR_HEAD - 1 + FX_CHUNK]; /* the last HEAD − 1 inputs, then the chunk */
#if FIR_NP > 0
    float *frame;  /* [previous block | current block], N samples */
    float *ytail;  /* the tail's output for the current block, P samples */
    float *fdl;    /* NP spectra of past frames (re, im interleaved), newest at slot `head` */
    float *hf;     /* NP partition spectra */
    float *tw;     /* twiddles e^{−2πik/N}, k < N/2 */
    float *work;   /* N complex */
    float *acc;    /* B complex */
    int *rev;      /* bit reversal of N */
    int pos, head;
#endif
} Model;

#if FIR_NP > 0
static void fir_fft(const Model *m, float *a, int sign) { fx_fft_f(m->rev, m->tw, FIR_N, a, sign); }

/* Real signal (N) → its B bins, via the complex FFT. */
static void fir_rfft(const Model *m, const float *x, float *bins) {
    float *w = m->work;
    for (int i = 0; i < FIR_N; ++i) { w[2 * i] = x[i]; w[2 * i + 1] = 0.0f; }
    fir_fft(m, w, -1);
    memcpy(bins, w, sizeof(float) * 2 * FIR_B);
}

/* Block complete: push its frame's spectrum, compute the next block's tail output. */
FX_HOT static void fir_block(Model *m) {
    m->head = (m->head + FIR_NP - 1) % FIR_NP;
    fir_rfft(m, m->frame, m->fdl + (size_t)m->head * 2 * FIR_B);
    float *acc = m->acc;
    memset(acc, 0, sizeof(float) * 2 * FIR_B);
    for (int j = 0; j < FIR_NP; ++j) { /* partition j+1 meets the frame pushed j blocks ago */
        const float *x = m->fdl + (size_t)((m->head + j) % FIR_NP) * 2 * FIR_B;
        const float *h = m->hf + (size_t)j * 2 * FIR_B;
        for (int k = 0; k < 2 * FIR_B; k += 2) {
            acc[k] += x[k] * h[k] - x[k + 1] * h[k + 1];
            acc[k + 1] += x[k] * h[k + 1] + x[k + 1] * h[k];
        }
    }
    float *w = m->work; /* Hermitian spectrum → real inverse FFT */
    memcpy(w, acc, sizeof(float) * 2 * FIR_B);
    for (int k = 1; k < FIR_P; ++k) { w[2 * (FIR_N - k)] = acc[2 * k]; w[2 * (FIR_N - k) + 1] = -acc[2 * k + 1]; }
    fir_fft(m, w, +1);
    for (int i = 0; i < FIR_P; ++i) m->ytail[i] = w[2 * (FIR_P + i)] * (1.0f / FIR_N); /* overlap-save: last P */
    memcpy(m->frame, m->frame + FIR_P, sizeof(float) * FIR_P);
    m->pos = 0;
}
#endif

static int model_init(Model *m) {
#if FIR_NP > 0
    m->frame = calloc(FIR_N, sizeof(float));
    m->ytail = calloc(FIR_P, sizeof(float));
    m->fdl = calloc((size_t)FIR_NP * 2 * FIR_B, sizeof(float));
    m->hf = calloc((size_t)FIR_NP * 2 * FIR_B, sizeof(float));
    m->tw = calloc(FIR_N, sizeof(float));
    m->work = calloc(2 * FIR_N, sizeof(float));
    m->acc = calloc(2 * FIR_B, sizeof(float));
    m->rev = calloc(FIR_N, sizeof(int));
    if (!m->frame || !m->ytail || !m->fdl || !m->hf || !m->tw || !m->work || !m->acc || !m->rev) return -1;
    fx_fft_f_plan(m->rev, m->tw, FIR_N); /* e^{−2πik/N} as (cos, sin); the sign is applied in fir_fft */
    float *seg = calloc(FIR_N, sizeof(float));
    if (!seg) return -1;
    for (int j = 0; j < FIR_NP; ++j) { /* partition j+1: taps [(j+1)P, (j+2)P), zero-padded to N */
        memset(seg, 0, sizeof(float) * FIR_N);
        for (int k = 0; k < FIR_P && (j + 1) * FIR_P + k < FIR_L; ++k) seg[k] = FIR_H[(j + 1) * FIR_P + k];
        fir_rfft(m, seg, m->hf + (size_t)j * 2 * FIR_B);
    }
    free(seg);
#else
    (void)m;
#endif
    return 0;
}

static void model_free(Model *m) {
#if FIR_NP > 0
    free(m->frame); free(m->ytail); free(m->fdl); free(m->hf); free(m->tw); free(m->work); free(m->acc); free(m->rev);
#else
    (void)m;
#endif
}

static void model_reset(Model *m) {
    memset(m->hist, 0, sizeof(m->hist));
#if FIR_NP > 0
    memset(m->frame, 0, sizeof(float) * FIR_N);
    memset(m->ytail, 0, sizeof(float) * FIR_P);
    memset(m->fdl, 0, sizeof(float) * (size_t)FIR_NP * 2 * FIR_B);
    m->pos = 0;
    m->head = 0;
#endif
}

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    float *xn = m->hist + FIR_HEAD - 1;
    memcpy(xn, x, (size_t)n * sizeof(float));
    for (int i = 0; i < n; ++i) y[i] = 0.0f;
    fx_conv(y, FIR_H, FIR_HEAD, xn, n); /* head: direct form, vectorised over the chunk */
#if FIR_NP > 0
    for (int i = 0; i < n; ++i) {
        y[i] += m->ytail[m->pos];
        m->frame[FIR_P + m->pos] = x[i];
        if (++m->pos == FIR_P) fir_block(m);
    }
#endif
    memmove(m->hist, m->hist + n, (size_t)(FIR_HEAD - 1) * sizeof(float));
}
