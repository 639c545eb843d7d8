/* Time an LV2 plugin's run() in-process: plugin_timer PLUGIN.so BUNDLE_DIR RATE BLOCK IN.f32 PASSES
 * → "seconds samples" on stdout (best of PASSES passes over the input, after one warm-up pass).
 * The host pattern of a DAW: connect the port buffers, run(block), block after block, one thread. */
#define _POSIX_C_SOURCE 199309L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <lv2/core/lv2.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 7) { fprintf(stderr, "usage: plugin_timer PLUGIN.so BUNDLE RATE BLOCK IN.f32 PASSES\n"); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 2; }
    LV2_Descriptor_Function get = (LV2_Descriptor_Function)dlsym(lib, "lv2_descriptor");
    const LV2_Descriptor *d = get ? get(0) : NULL;
    if (!d) { fprintf(stderr, "no lv2_descriptor\n"); return 2; }
    const double rate = atof(argv[3]);
    const long block = atol(argv[4]), passes = atol(argv[6]);
    FILE *f = fopen(argv[5], "rb");
    if (!f) { perror(argv[5]); return 2; }
    fseek(f, 0, SEEK_END);
    const long n = ftell(f) / (long)sizeof(float) / block * block;
    fseek(f, 0, SEEK_SET);
    float *in = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * n);
    if (fread(in, sizeof(float), n, f) != (size_t)n) { fprintf(stderr, "short read\n"); return 2; }
    fclose(f);
    const LV2_Feature *features[] = {NULL};
    LV2_Handle h = d->instantiate(d, rate, argv[2], features);
    if (!h) { fprintf(stderr, "instantiate failed\n"); return 2; }
    float gain = 0.0f, latency = 0.0f;
    d->connect_port(h, 2, &gain);
    d->connect_port(h, 3, &latency);
    if (d->activate) d->activate(h);
    double best = 1e30;
    for (long p = 0; p <= passes; ++p) {
        const double t0 = now();
        for (long off = 0; off < n; off += block) {
            d->connect_port(h, 0, in + off);
            d->connect_port(h, 1, out + off);
            d->run(h, (uint32_t)block);
        }
        const double t = now() - t0;
        if (p > 0 && t < best) best = t; /* pass 0 warms caches */
    }
    double sum = 0.0;
    for (long i = 0; i < n; ++i) sum += out[i] * out[i];
    if (d->deactivate) d->deactivate(h);
    d->cleanup(h);
    printf("%.9f %ld %.6g\n", best, n, sum);
    return 0;
}
