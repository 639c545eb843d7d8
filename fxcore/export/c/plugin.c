/* ---- LV2 wrapper: ports 0 = in, 1 = out, 2 = output gain (dB), 3 = latency (if FX_LATENCY > 0) ---- */
typedef struct {
    Model m;
    const float *in;
    float *out;
    const float *gain_db;
    float *latency;
    float scratch[FX_CHUNK]; /* a copy of the input chunk: hosts may run in place (in == out) */
} Plugin;

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *path,
                              const LV2_Feature *const *features) {
    (void)d; (void)path; (void)features;
    if (fabs(rate - FX_RATE) > 0.5) return NULL; /* the model was learned at FX_RATE only */
    Plugin *p = (Plugin *)calloc(1, sizeof(Plugin));
    if (!p) return NULL;
    if (model_init(&p->m) != 0) { model_free(&p->m); free(p); return NULL; }
    model_reset(&p->m);
    return (LV2_Handle)p;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data) {
    Plugin *p = (Plugin *)h;
    switch (port) {
    case 0: p->in = (const float *)data; break;
    case 1: p->out = (float *)data; break;
    case 2: p->gain_db = (const float *)data; break;
    case 3: p->latency = (float *)data; break;
    default: break;
    }
}

static void activate(LV2_Handle h) { model_reset(&((Plugin *)h)->m); }

static void run(LV2_Handle h, uint32_t n) {
    Plugin *p = (Plugin *)h;
    const float db = p->gain_db ? *p->gain_db : 0.0f;
    const float g = db == 0.0f ? 1.0f : powf(10.0f, db / 20.0f);
    if (p->latency) *p->latency = (float)FX_LATENCY;
    for (uint32_t off = 0; off < n; off += FX_CHUNK) {
        const int k = (int)(n - off < FX_CHUNK ? n - off : FX_CHUNK);
        memcpy(p->scratch, p->in + off, (size_t)k * sizeof(float));
        model_process(&p->m, p->scratch, p->out + off, k);
        if (g != 1.0f)
            for (int i = 0; i < k; ++i) p->out[off + i] *= g;
    }
}

static void deactivate(LV2_Handle h) { (void)h; }

static void cleanup(LV2_Handle h) {
    Plugin *p = (Plugin *)h;
    model_free(&p->m);
    free(p);
}

static const void *extension_data(const char *uri) { (void)uri; return NULL; }

static const LV2_Descriptor descriptor = {FX_URI, instantiate, connect_port, activate, run, deactivate, cleanup,
                                          extension_data};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) { return index == 0 ? &descriptor : NULL; }
