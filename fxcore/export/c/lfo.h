/* ---- The LFO of the time-variant families (chorus, tremolo; phaser, flanger in double), in the models' precisions:
 *      θ(t) = float(2π·frac(rate·t/sr)) + φ  (cycles in double, the rest float),
 *      lfo(θ) = sin θ + s·(tri θ − sin θ),  tri: peak +1 at θ = π/2, as models/chorus.py's triangle().
 * t counts samples since activate(), as a model's `start` counts them from the track's start, so a
 * DAW that re-activates the plugin at transport start restarts the LFO where the model does. */
#ifndef FX_LFO_H
#define FX_LFO_H

static inline float fx_lfo_theta(uint64_t t, double rate, double sr, float phase) {
    const double cycles = rate * ((double)t / sr);
    return (float)(2.0 * FX_PI * (cycles - floor(cycles))) + phase;
}

static inline float fx_triangle(float theta) {
    float u = theta / (float)(2.0 * FX_PI) - 0.25f;
    u = u - floorf(u);
    return fabsf(4.0f * u - 2.0f) - 1.0f;
}

static inline float fx_lfo(float theta, float shape) {
    const float s = sinf(theta);
    return s + shape * (fx_triangle(theta) - s);
}

/* The same LFO all in double, in the order of the numba recursions (models/phaser.py, models/flanger.py):
 * θ = 2π·frac(rate·t/sr) + φ, lfo = sin θ + s·(tri θ − sin θ). */
static inline double fx_lfo_double(uint64_t t, double rate, double sr, double phase, double shape) {
    const double cyc = rate * (double)t / sr;
    const double th = 2.0 * FX_PI * (cyc - floor(cyc)) + phase;
    const double s = sin(th);
    const double uu = th / (2.0 * FX_PI) - 0.25;
    const double tri = fabs(4.0 * (uu - floor(uu)) - 2.0) - 1.0;
    return s + shape * (tri - s);
}
#endif
