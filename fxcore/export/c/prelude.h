/* fxcore LV2 export: shared prelude. Generated plugins are one C file: this prelude, the model's
 * constants, the family's streaming code (defines Model, model_init/reset/process/free) and
 * plugin.c (the LV2 wrapper). Portable C99, libm only; no allocation or locking in run(). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <lv2/core/lv2.h>

#define FX_PI 3.14159265358979323846

#ifndef FX_CHUNK
#define FX_CHUNK 64 /* samples per internal step: run() splits any host block into these */
#endif

/* tanh(x) = 1 - 2/(1 + e^{2x}): saturates cleanly (expf overflows to inf → 1, underflows → -1). */
static inline float fx_tanh(float x) { return 1.0f - 2.0f / (1.0f + expf(2.0f * x)); }

/* σ(x) = 1/(1 + e^{-x}). */
static inline float fx_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* out[o][i] = b[o] + Σ_j W[o][j]·in_j[i] for i < n (in_j: row pointers), optionally tanh'd.
 * The loop over i is innermost and contiguous, so the compiler vectorises it. */
static void fx_dense(const float *W, const float *b, int n_out, int n_in, const float *const *in,
                     float (*out)[FX_CHUNK], int n, int act_tanh) {
    for (int o = 0; o < n_out; ++o) {
        float *y = out[o];
        const float bo = b ? b[o] : 0.0f;
        for (int i = 0; i < n; ++i) y[i] = bo;
        for (int j = 0; j < n_in; ++j) {
            const float w = W[o * n_in + j];
            const float *x = in[j];
            for (int i = 0; i < n; ++i) y[i] += w * x[i];
        }
        if (act_tanh)
            for (int i = 0; i < n; ++i) y[i] = fx_tanh(y[i]);
    }
}
