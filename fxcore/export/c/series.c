/* ---- series: y = second(first(x)), the two stages' C above renamed First* and Second*.
 * A chunk goes through the first stage into u, then through the second; each keeps its own state. */
typedef struct {
    FirstModel first;
    SecondModel second;
    float u[FX_CHUNK];
} Model;

static int model_init(Model *m) {
    if (first_init(&m->first) != 0) return -1;
    return second_init(&m->second);
}

static void model_free(Model *m) {
    first_free(&m->first);
    second_free(&m->second);
}

static void model_reset(Model *m) {
    first_reset(&m->first);
    second_reset(&m->second);
}

FX_HOT static void model_process(Model *m, const float *x, float *y, int n) {
    first_process(&m->first, x, m->u, n);
    second_process(&m->second, m->u, y, n);
}
