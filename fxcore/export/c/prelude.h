/* fxcore LV2 export: shared prelude. Generated plugins are one C file: this prelude, the model's
 * constants, the family's streaming code (defines Model, model_init/reset/process/free) and
 * plugin.c (the LV2 wrapper). Portable C99, libm only; no allocation or locking in run(). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <lv2/core/lv2.h>

#define FX_PI 3.14159265358979323846

/* Hot loops get an AVX2 clone beside the baseline one (chosen at load time by the CPU): the plugin
 * stays portable to any x86-64 and runs 8 floats per instruction where it can. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FX_HOT __attribute__((target_clones("avx2", "default")))
#else
#define FX_HOT
#endif

#ifndef FX_CHUNK
#define FX_CHUNK 64 /* samples per internal step: run() splits any host block into these */
#endif

/* e^x for x in [−87, 88] (clamped: e^±88 stands in for ±overflow), within 2 ulp: x = n·ln2 + r,
 * |r| ≤ ln2/2, e^r by Cephes' degree-7 polynomial, 2^n by the exponent bits. Branch-free, so the
 * loops that call it vectorise (libm's expf would be a scalar call per value: most of a small
 * network's time). */
static inline float fx_exp(float x) {
    union { float f; int32_t i; } m, p;
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    m.f = x * 1.44269504088896341f + 12582912.0f; /* + 1.5·2^23: rounds to nearest, n in the low bits */
    const float n = m.f - 12582912.0f;
    const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f; /* ln2 split in two: r exact */
    float q = 1.9875691500e-4f;
    q = q * r + 1.3981999507e-3f;
    q = q * r + 8.3334519073e-3f;
    q = q * r + 4.1665795894e-2f;
    q = q * r + 1.6666665459e-1f;
    q = q * r + 5.0000001201e-1f;
    q = q * r * r + r + 1.0f;
    p.i = (m.i - 0x4B400000 + 127) << 23; /* 2^n */
    return q * p.f;
}

/* tanh(x) = 1 − 2/(1 + e^{2x}): saturates cleanly at ±1. */
static inline float fx_tanh(float x) { return 1.0f - 2.0f / (1.0f + fx_exp(2.0f * x)); }

/* σ(x) = 1/(1 + e^{−x}). */
static inline float fx_sigmoid(float x) { return 1.0f / (1.0f + fx_exp(-x)); }

/* y[i] += Σ_{k<taps} h[k]·xn[i − k] for i < n (xn[0] = the chunk's first sample, its past before it).
 * Four taps per pass over y: a quarter of the loads and stores of y, and the loop over i vectorises. */
static inline void fx_conv(float *y, const float *h, int taps, const float *xn, int n) {
    int k = 0;
    for (; k + 4 <= taps; k += 4) {
        const float h0 = h[k], h1 = h[k + 1], h2 = h[k + 2], h3 = h[k + 3];
        const float *x0 = xn - k, *x1 = xn - k - 1, *x2 = xn - k - 2, *x3 = xn - k - 3;
        for (int i = 0; i < n; ++i) y[i] += (h0 * x0[i] + h1 * x1[i]) + (h2 * x2[i] + h3 * x3[i]);
    }
    for (; k < taps; ++k) {
        const float hk = h[k];
        const float *xk = xn - k;
        for (int i = 0; i < n; ++i) y[i] += hk * xk[i];
    }
}

/* out[o][i] = b[o] + Σ_j W[o][j]·in_j[i] for i < n (in_j: row pointers), optionally tanh'd;
 * four inputs per pass over out[o], the loop over i innermost (vectorised). */
FX_HOT static void fx_dense(const float *W, const float *b, int n_out, int n_in, const float *const *in,
                            float (*out)[FX_CHUNK], int n, int act_tanh) {
    for (int o = 0; o < n_out; ++o) {
        float *y = out[o];
        const float *w = W + (size_t)o * n_in;
        const float bo = b ? b[o] : 0.0f;
        for (int i = 0; i < n; ++i) y[i] = bo;
        int j = 0;
        for (; j + 4 <= n_in; j += 4) {
            const float w0 = w[j], w1 = w[j + 1], w2 = w[j + 2], w3 = w[j + 3];
            const float *x0 = in[j], *x1 = in[j + 1], *x2 = in[j + 2], *x3 = in[j + 3];
            for (int i = 0; i < n; ++i) y[i] += (w0 * x0[i] + w1 * x1[i]) + (w2 * x2[i] + w3 * x3[i]);
        }
        for (; j < n_in; ++j) {
            const float wj = w[j];
            const float *x = in[j];
            for (int i = 0; i < n; ++i) y[i] += wj * x[i];
        }
        if (act_tanh)
            for (int i = 0; i < n; ++i) y[i] = fx_tanh(y[i]);
    }
}

/* In-place radix-2 complex FFT of n points, interleaved (re, im), bit-reversal table `rev` and
 * twiddles tw[2k], tw[2k+1] = cos, sin(2πk/n); sign −1: forward, +1: inverse (unscaled).
 * One body for float (the convolution engines) and double (the phase vocoder); NAME##_plan fills
 * `rev` (n ints) and `tw` (n values) for a power-of-two n. */
#define FX_DEFINE_FFT(NAME, T)                                                                        \
    static inline void NAME##_plan(int *rev, T *tw, int n) {                                          \
        int bits = 0;                                                                                 \
        while ((1 << bits) < n) ++bits;                                                               \
        for (int i = 0; i < n; ++i) {                                                                 \
            int r = 0;                                                                                \
            for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);                    \
            rev[i] = r;                                                                               \
        }                                                                                             \
        for (int k = 0; k < n / 2; ++k) {                                                             \
            tw[2 * k] = (T)cos(2.0 * FX_PI * k / n);                                                  \
            tw[2 * k + 1] = (T)sin(2.0 * FX_PI * k / n);                                              \
        }                                                                                             \
    }                                                                                                 \
    static inline void NAME(const int *rev, const T *tw, int n, T *a, int sign) {                     \
        for (int i = 0; i < n; ++i) {                                                                 \
            const int j = rev[i];                                                                     \
            if (j > i) {                                                                              \
                T t = a[2 * i]; a[2 * i] = a[2 * j]; a[2 * j] = t;                                    \
                t = a[2 * i + 1]; a[2 * i + 1] = a[2 * j + 1]; a[2 * j + 1] = t;                      \
            }                                                                                         \
        }                                                                                             \
        for (int len = 2; len <= n; len <<= 1) {                                                      \
            const int half = len >> 1, step = n / len;                                                \
            for (int s = 0; s < n; s += len)                                                          \
                for (int k = 0; k < half; ++k) {                                                      \
                    const T wr = tw[2 * k * step], wi = (T)sign * tw[2 * k * step + 1];               \
                    T *p = a + 2 * (s + k), *q = a + 2 * (s + k + half);                              \
                    const T xr = q[0] * wr - q[1] * wi, xi = q[0] * wi + q[1] * wr;                   \
                    q[0] = p[0] - xr; q[1] = p[1] - xi;                                               \
                    p[0] += xr; p[1] += xi;                                                           \
                }                                                                                     \
        }                                                                                             \
    }
FX_DEFINE_FFT(fx_fft_f, float)
FX_DEFINE_FFT(fx_fft_d, double)
