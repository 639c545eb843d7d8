/* ---- octave: the streaming phase vocoder of fxcore/models/pitch.py, in float64 like the model.
 * Frame m (centred at input m·HA, m ≥ M0) is due when input sample m·HA + N/2 − 1 arrives:
 *   X = FFT(w_a·frame); φ = arg X (bins 0 and N/2: 0 or π by the sign of the real part; 0 where |X| = 0);
 *   ψ = φ on the first frame, else ψ = (ψ + ((ω_k + princarg(Δφ − ω_k·HA)/HA)·HS mod 2π)) mod 2π;
 *   identity phase locking to the nearest peak of |X|; Y = GAIN·|X|·e^{jψ'} on L/2 + 1 bins;
 *   grain = Re IFFT_L(Hermitian Y)/L · w_s, overlap-added into the output ring at its start.
 * Output sample t leaves when input t + LAT arrives (LAT = (L + N)/2 − 1: the model's look-ahead),
 * so out[i] = model(x)[i − LAT]. FFTs: radix-2 complex double; L not a power of two by Bluestein
 * (chirp-z through radix-2 FFTs of size P ≥ 2L − 1).
 * Needs: OC_N, OC_HA, OC_L, OC_M0, OC_LOCK, OC_HS (double), OC_P (Bluestein size, 0 if L = 2^k),
 * arrays OC_WA[N], OC_WS[L], OC_GAIN[N/2 + 1] (double). */
#define OC_K (OC_N / 2 + 1)
#define OC_KZ (OC_L / 2 + 1)

typedef struct {
    int n;
    int *rev;
    double *tw; /* e^{−2πik/n} as (cos, sin), k < n/2 */
} OcFft;

typedef struct {
    double *xin;  /* the last N inputs (ring; `head` is the oldest) */
    double *acc;  /* output ring: overlap-added grains, read at `rd` */
    double *a;    /* N complex: analysis spectrum */
    double *z;    /* L complex (or P complex for Bluestein): synthesis spectrum */
    double *mag, *ph, *prev, *psi, *out; /* per bin */
    int *pk;      /* nearest peak per bin */
    OcFft fn, fl;
#if OC_P > 0
    double *chirp; /* b_k = e^{iπk²/L}, k < L */
    double *bf;    /* FFT_P of conj(b) wrapped: the Bluestein filter */
#endif
    int head, rd, until, first;
} Model;

static int oc_plan(OcFft *f, int n) {
    f->n = n;
    f->rev = calloc((size_t)n, sizeof(int));
    f->tw = calloc((size_t)n, sizeof(double));
    if (!f->rev || !f->tw) return -1;
    fx_fft_d_plan(f->rev, f->tw, n);
    return 0;
}

static void oc_unplan(OcFft *f) { free(f->rev); free(f->tw); }

static void oc_fft(const OcFft *f, double *a, int sign) { fx_fft_d(f->rev, f->tw, f->n, a, sign); }

/* z (L complex, Hermitian) → its unscaled inverse DFT, in place (real part is the signal). */
static void oc_idft_l(Model *m) {
#if OC_P == 0
    oc_fft(&m->fl, m->z, +1);
#else /* Σ_k Z_k e^{2πiki/L} = b_i · Σ_k (Z_k b_k) conj(b_{i−k}): a convolution, by FFTs of size P */
    double *z = m->z;
    for (int k = 0; k < OC_L; ++k) {
        const double br = m->chirp[2 * k], bi = m->chirp[2 * k + 1], zr = z[2 * k], zi = z[2 * k + 1];
        z[2 * k] = zr * br - zi * bi;
        z[2 * k + 1] = zr * bi + zi * br;
    }
    memset(z + 2 * OC_L, 0, sizeof(double) * 2 * (OC_P - OC_L));
    oc_fft(&m->fl, z, -1);
    for (int k = 0; k < OC_P; ++k) {
        const double ur = z[2 * k], ui = z[2 * k + 1], vr = m->bf[2 * k], vi = m->bf[2 * k + 1];
        z[2 * k] = ur * vr - ui * vi;
        z[2 * k + 1] = ur * vi + ui * vr;
    }
    oc_fft(&m->fl, z, +1);
    for (int i = 0; i < OC_L; ++i) {
        const double cr = z[2 * i] / OC_P, ci = z[2 * i + 1] / OC_P, br = m->chirp[2 * i], bi = m->chirp[2 * i + 1];
        z[2 * i] = cr * br - ci * bi;
        z[2 * i + 1] = cr * bi + ci * br;
    }
#endif
}

/* ψ mod 2π as torch.remainder: in [0, 2π). */
static inline double oc_rem(double v) {
    const double r = fmod(v, 2.0 * FX_PI);
    return r < 0.0 ? r + 2.0 * FX_PI : r;
}

static void oc_frame(Model *m) {
    double *a = m->a;
    for (int j = 0; j < OC_N; ++j) {
        a[2 * j] = m->xin[(m->head + j) % OC_N] * OC_WA[j];
        a[2 * j + 1] = 0.0;
    }
    oc_fft(&m->fn, a, -1);
    for (int k = 0; k < OC_K; ++k) {
        const double re = a[2 * k], im = (k == 0 || k == OC_N / 2) ? 0.0 : a[2 * k + 1];
        m->mag[k] = hypot(re, im);
        double ph = (k == 0 || k == OC_N / 2) ? (re < 0.0 ? FX_PI : 0.0) : atan2(im, re);
        m->ph[k] = m->mag[k] > 0.0 ? ph : 0.0;
    }
    for (int k = 0; k < OC_K; ++k) {
        if (m->first) {
            m->psi[k] = oc_rem(m->ph[k]);
        } else {
            const double omega = (double)k * (2.0 * FX_PI / OC_N);
            double dphi = m->ph[k] - m->prev[k] - omega * OC_HA;
            dphi = dphi - 2.0 * FX_PI * nearbyint(dphi / (2.0 * FX_PI));
            const double inc = oc_rem((omega + dphi / OC_HA) * OC_HS);
            m->psi[k] = oc_rem(m->psi[k] + inc);
        }
        m->prev[k] = m->ph[k];
    }
    m->first = 0;
#if OC_LOCK
    { /* nearest peak (|X| ≥ left neighbour, > right one); ties go to the lower peak; none: the bin itself */
        const int big = 4 * OC_K;
        int last = -big;
        for (int k = 0; k < OC_K; ++k) {
            if (k > 0 && k < OC_K - 1 && m->mag[k] >= m->mag[k - 1] && m->mag[k] > m->mag[k + 1]) last = k;
            m->pk[k] = last;
        }
        int next = big;
        for (int k = OC_K - 1; k >= 0; --k) {
            if (k > 0 && k < OC_K - 1 && m->mag[k] >= m->mag[k - 1] && m->mag[k] > m->mag[k + 1]) next = k;
            const int prv = m->pk[k];
            int p = (k - prv <= next - k) ? prv : next;
            if (p < 0 || p >= OC_K) p = k;
            m->pk[k] = p;
        }
        for (int k = 0; k < OC_K; ++k) {
            const int p = m->pk[k];
            m->out[k] = m->psi[p] + (m->ph[k] - m->ph[p]);
        }
    }
#else
    for (int k = 0; k < OC_K; ++k) m->out[k] = m->psi[k];
#endif
    double *z = m->z; /* Hermitian L-point spectrum; bins 0 and L/2 real (as irfft reads them) */
    memset(z, 0, sizeof(double) * 2 * OC_L);
    for (int k = 0; k < OC_KZ && k < OC_K; ++k) {
        const double amp = m->mag[k] * OC_GAIN[k];
        const double zr = amp * cos(m->out[k]), zi = amp * sin(m->out[k]);
        if (k == 0 || k == OC_L / 2) {
            z[2 * k] = zr;
        } else {
            z[2 * k] = zr; z[2 * k + 1] = zi;
            z[2 * (OC_L - k)] = zr; z[2 * (OC_L - k) + 1] = -zi;
        }
    }
    oc_idft_l(m);
    for (int i = 0; i < OC_L; ++i) m->acc[(m->rd + i) % OC_L] += (z[2 * i] / OC_L) * OC_WS[i];
}

static int model_init(Model *m) {
    const int zl = OC_P > 0 ? OC_P : OC_L;
    m->xin = calloc(OC_N, sizeof(double));
    m->acc = calloc(OC_L, sizeof(double));
    m->a = calloc(2 * OC_N, sizeof(double));
    m->z = calloc(2 * (size_t)zl, sizeof(double));
    m->mag = calloc(OC_K, sizeof(double));
    m->ph = calloc(OC_K, sizeof(double));
    m->prev = calloc(OC_K, sizeof(double));
    m->psi = calloc(OC_K, sizeof(double));
    m->out = calloc(OC_K, sizeof(double));
    m->pk = calloc(OC_K, sizeof(int));
    if (!m->xin || !m->acc || !m->a || !m->z || !m->mag || !m->ph || !m->prev || !m->psi || !m->out || !m->pk)
        return -1;
    if (oc_plan(&m->fn, OC_N) != 0 || oc_plan(&m->fl, zl) != 0) return -1;
#if OC_P > 0
    m->chirp = calloc(2 * OC_L, sizeof(double));
    m->bf = calloc(2 * OC_P, sizeof(double));
    if (!m->chirp || !m->bf) return -1;
    for (long long k = 0; k < OC_L; ++k) { /* k² mod 2L keeps the angle exact-ish for large k */
        const double ang = FX_PI * (double)((k * k) % (2LL * OC_L)) / OC_L;
        m->chirp[2 * k] = cos(ang);
        m->chirp[2 * k + 1] = sin(ang);
    }
    m->bf[0] = m->chirp[0]; m->bf[1] = -m->chirp[1];
    for (int d = 1; d < OC_L; ++d) { /* conj(b_d) at d and at P − d (b is even in d) */
        m->bf[2 * d] = m->chirp[2 * d]; m->bf[2 * d + 1] = -m->chirp[2 * d + 1];
        m->bf[2 * (OC_P - d)] = m->chirp[2 * d]; m->bf[2 * (OC_P - d) + 1] = -m->chirp[2 * d + 1];
    }
    oc_fft(&m->fl, m->bf, -1);
#endif
    return 0;
}

static void model_free(Model *m) {
    free(m->xin); free(m->acc); free(m->a); free(m->z); free(m->mag); free(m->ph); free(m->prev);
    free(m->psi); free(m->out); free(m->pk);
    oc_unplan(&m->fn); oc_unplan(&m->fl);
#if OC_P > 0
    free(m->chirp); free(m->bf);
#endif
}

static void model_reset(Model *m) {
    memset(m->xin, 0, sizeof(double) * OC_N);
    memset(m->acc, 0, sizeof(double) * OC_L);
    m->head = 0;
    m->rd = 0;
    m->until = OC_M0 * OC_HA + OC_N / 2; /* samples until frame M0 is complete (≥ 1) */
    m->first = 1;
}

static void model_process(Model *m, const float *x, float *y, int n) {
    for (int i = 0; i < n; ++i) {
        m->xin[m->head] = (double)x[i];
        m->head = (m->head + 1) % OC_N;
        if (--m->until == 0) {
            oc_frame(m);
            m->until = OC_HA;
        }
        y[i] = (float)m->acc[m->rd];
        m->acc[m->rd] = 0.0;
        m->rd = (m->rd + 1) % OC_L;
    }
}
