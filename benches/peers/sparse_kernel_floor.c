/*
 * How fast can one ESN step's sparse product W·x go on this processor?
 *
 * The NARMA10 side-by-side (narma10_vs_reservoirpy.py) asks for the whole `physrc run` at N = 500
 * to be 5x faster than reservoirpy. Most of physrc's time is the recurrent product: 20,200 steps,
 * each a 500 x 500 matrix with 10 % nonzeros (reservoirpy's default connectivity) times the
 * previous state. Steps depend on each other, so only the product itself can be sped up. This
 * program measures, outside physrc and with hand-written intrinsics, the ways of doing that
 * product a Rust kernel could choose, so the floor is a measurement and not a guess:
 *
 *   scalar     sliced ELLPACK, 8 rows at a time, x[col] fetched with scalar loads and packed
 *              into vectors (what physrc's kernel compiles to; see matrix.rs);
 *   gather256  the same layout with AVX2 vgatherdpd (4 lanes);
 *   gather512  the same layout with AVX-512 vgatherdpd (8 lanes), two row blocks interleaved;
 *   permute    no memory gather at all: x kept in registers 16 entries at a time and looked up
 *              with AVX-512 vpermt2pd, the matrix cut into 8-row x 16-column tiles (padding
 *              each tile to its longest row), four row blocks interleaved;
 *   scalar x2  the scalar kernel with the rows split between two threads and a spin barrier
 *              after every step (both threads need the whole previous state).
 *
 * Every variant keeps each row's sum in increasing column order and is checked against a plain
 * loop (the two-thread run against the single-thread run's state after all steps). Build and run (x86-64 with AVX-512; a C compiler is all it needs):
 *
 *     gcc -O2 -march=native -ffp-contract=off -pthread benches/peers/sparse_kernel_floor.c -o /tmp/floor -lm
 *     /tmp/floor
 *
 * Each variant runs 20,000 dependent steps (the state is fed back, lightly damped, so the
 * processor cannot overlap steps any more than an ESN allows), best of five.
 */
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 500
#define LANES 8
#define STEPS 20000
#define REPEATS 5
#define TILE 16
#define GROUP 4

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* A dense copy, for the check and for building the layouts. */
static double dense[N][N];
static int nnz;

/* Sliced ELLPACK, rows sorted by length (as physrc's BlockedSparse). */
static int blocks;
static int order[N];
static size_t *offset;     /* slot offset of each block, plus the end */
static double *sv;         /* values, LANES per slot */
static int32_t *sc;        /* columns, LANES per slot */

/* Tiles for the permute variant: 8 rows x 16 columns. */
#define RB ((N + LANES - 1) / LANES)
#define CB ((N + TILE - 1) / TILE)
static size_t *toff;       /* slot offset of each tile (row block major), plus the end */
static double *tv;
static uint8_t *ti;

static double x_init[N];

static void build(void) {
    srand(12345);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double r = rand() / (double)RAND_MAX;
            dense[i][j] = r < 0.1 ? (rand() / (double)RAND_MAX - 0.5) * 0.2 : 0.0;
            nnz += dense[i][j] != 0.0;
        }
    int len[N];
    for (int i = 0; i < N; i++) {
        len[i] = 0;
        for (int j = 0; j < N; j++) len[i] += dense[i][j] != 0.0;
        order[i] = i;
    }
    for (int a = 1; a < N; a++) /* stable insertion sort, longest first */
        for (int b = a; b > 0 && len[order[b]] > len[order[b - 1]]; b--) {
            int t = order[b]; order[b] = order[b - 1]; order[b - 1] = t;
        }
    blocks = (N + LANES - 1) / LANES;
    offset = malloc((blocks + 1) * sizeof *offset);
    offset[0] = 0;
    for (int b = 0; b < blocks; b++) {
        int w = 0;
        for (int r = 0; r < LANES && b * LANES + r < N; r++)
            if (len[order[b * LANES + r]] > w) w = len[order[b * LANES + r]];
        offset[b + 1] = offset[b] + w;
    }
    sv = aligned_alloc(64, offset[blocks] * LANES * sizeof *sv + 64);
    sc = aligned_alloc(64, offset[blocks] * LANES * sizeof *sc + 64);
    memset(sv, 0, offset[blocks] * LANES * sizeof *sv);
    memset(sc, 0, offset[blocks] * LANES * sizeof *sc);
    for (int b = 0; b < blocks; b++)
        for (int r = 0; r < LANES && b * LANES + r < N; r++) {
            int i = order[b * LANES + r], k = 0;
            for (int j = 0; j < N; j++)
                if (dense[i][j] != 0.0) {
                    sv[(offset[b] + k) * LANES + r] = dense[i][j];
                    sc[(offset[b] + k) * LANES + r] = j;
                    k++;
                }
        }
    toff = malloc((RB * CB + 1) * sizeof *toff);
    toff[0] = 0;
    for (int rb = 0; rb < RB; rb++)
        for (int cb = 0; cb < CB; cb++) {
            int w = 0;
            for (int r = 0; r < LANES && rb * LANES + r < N; r++) {
                int c = 0;
                for (int j = cb * TILE; j < (cb + 1) * TILE && j < N; j++) c += dense[rb * LANES + r][j] != 0.0;
                if (c > w) w = c;
            }
            toff[rb * CB + cb + 1] = toff[rb * CB + cb] + w;
        }
    size_t tslots = toff[RB * CB];
    tv = aligned_alloc(64, tslots * LANES * sizeof *tv + 64);
    ti = aligned_alloc(64, tslots * LANES + 64);
    memset(tv, 0, tslots * LANES * sizeof *tv);
    memset(ti, 0, tslots * LANES);
    for (int rb = 0; rb < RB; rb++)
        for (int cb = 0; cb < CB; cb++)
            for (int r = 0; r < LANES && rb * LANES + r < N; r++) {
                size_t s = toff[rb * CB + cb];
                int k = 0;
                for (int j = cb * TILE; j < (cb + 1) * TILE && j < N; j++)
                    if (dense[rb * LANES + r][j] != 0.0) {
                        tv[(s + k) * LANES + r] = dense[rb * LANES + r][j];
                        ti[(s + k) * LANES + r] = (uint8_t)(j - cb * TILE);
                        k++;
                    }
            }
    for (int i = 0; i < N; i++) x_init[i] = sin(0.37 * i);
    printf("N = %d, %d nonzeros (%.1f %%); sliced ELLPACK %zu slots (padding %.2fx); "
           "8x16 tiles %zu slots (padding %.2fx)\n",
           N, nnz, 100.0 * nnz / (N * N), offset[blocks] * LANES,
           (double)offset[blocks] * LANES / nnz, tslots * LANES, (double)tslots * LANES / nnz);
}

/* The state fed back: y = W x, then x = y (W is scaled so this stays bounded). Padded so that
 * the permute variant can load whole 16-entry tables past N. */
static double xs[2][CB * TILE] __attribute__((aligned(64)));

static void store_block(int b, __m256d a0, __m256d a1, double *y) {
    double t[LANES];
    _mm256_storeu_pd(t, a0);
    _mm256_storeu_pd(t + 4, a1);
    for (int r = 0; r < LANES && b * LANES + r < N; r++) y[order[b * LANES + r]] = t[r];
}

static void scalar_rows(const double *x, double *y, int b0, int b1) {
    for (int b = b0; b < b1; b++) {
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        const double *v = sv + offset[b] * LANES;
        const int32_t *c = sc + offset[b] * LANES;
        for (size_t s = offset[b]; s < offset[b + 1]; s++, v += LANES, c += LANES) {
            __m256d g0 = _mm256_set_pd(x[c[3]], x[c[2]], x[c[1]], x[c[0]]);
            __m256d g1 = _mm256_set_pd(x[c[7]], x[c[6]], x[c[5]], x[c[4]]);
            a0 = _mm256_add_pd(a0, _mm256_mul_pd(_mm256_loadu_pd(v), g0));
            a1 = _mm256_add_pd(a1, _mm256_mul_pd(_mm256_loadu_pd(v + 4), g1));
        }
        store_block(b, a0, a1, y);
    }
}

static void scalar(const double *x, double *y) { scalar_rows(x, y, 0, blocks); }

static void gather256(const double *x, double *y) {
    for (int b = 0; b < blocks; b++) {
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        const double *v = sv + offset[b] * LANES;
        const int32_t *c = sc + offset[b] * LANES;
        for (size_t s = offset[b]; s < offset[b + 1]; s++, v += LANES, c += LANES) {
            __m256d g0 = _mm256_i32gather_pd(x, _mm_loadu_si128((const void *)c), 8);
            __m256d g1 = _mm256_i32gather_pd(x, _mm_loadu_si128((const void *)(c + 4)), 8);
            a0 = _mm256_add_pd(a0, _mm256_mul_pd(_mm256_loadu_pd(v), g0));
            a1 = _mm256_add_pd(a1, _mm256_mul_pd(_mm256_loadu_pd(v + 4), g1));
        }
        store_block(b, a0, a1, y);
    }
}

static void store512(int b, __m512d a, double *y) {
    double t[LANES];
    _mm512_storeu_pd(t, a);
    for (int r = 0; r < LANES && b * LANES + r < N; r++) y[order[b * LANES + r]] = t[r];
}

static void gather512_block(const double *x, double *y, int b) {
    __m512d a = _mm512_setzero_pd();
    const double *v = sv + offset[b] * LANES;
    const int32_t *c = sc + offset[b] * LANES;
    for (size_t s = offset[b]; s < offset[b + 1]; s++, v += LANES, c += LANES)
        a = _mm512_add_pd(a, _mm512_mul_pd(_mm512_loadu_pd(v),
                                           _mm512_i32gather_pd(_mm256_loadu_si256((const void *)c), x, 8)));
    store512(b, a, y);
}

static void gather512(const double *x, double *y) {
    int b = 0;
    for (; b + 1 < blocks; b += 2) {
        /* Two independent row blocks per loop, so two gathers are in flight. */
        __m512d a0 = _mm512_setzero_pd(), a1 = a0;
        const double *v0 = sv + offset[b] * LANES, *v1 = sv + offset[b + 1] * LANES;
        const int32_t *c0 = sc + offset[b] * LANES, *c1 = sc + offset[b + 1] * LANES;
        size_t w0 = offset[b + 1] - offset[b], w1 = offset[b + 2] - offset[b + 1];
        size_t w = w0 < w1 ? w0 : w1, s = 0;
        for (; s < w; s++) {
            a0 = _mm512_add_pd(a0, _mm512_mul_pd(_mm512_loadu_pd(v0 + s * LANES),
                 _mm512_i32gather_pd(_mm256_loadu_si256((const void *)(c0 + s * LANES)), x, 8)));
            a1 = _mm512_add_pd(a1, _mm512_mul_pd(_mm512_loadu_pd(v1 + s * LANES),
                 _mm512_i32gather_pd(_mm256_loadu_si256((const void *)(c1 + s * LANES)), x, 8)));
        }
        for (size_t t = s; t < w0; t++)
            a0 = _mm512_add_pd(a0, _mm512_mul_pd(_mm512_loadu_pd(v0 + t * LANES),
                 _mm512_i32gather_pd(_mm256_loadu_si256((const void *)(c0 + t * LANES)), x, 8)));
        for (size_t t = s; t < w1; t++)
            a1 = _mm512_add_pd(a1, _mm512_mul_pd(_mm512_loadu_pd(v1 + t * LANES),
                 _mm512_i32gather_pd(_mm256_loadu_si256((const void *)(c1 + t * LANES)), x, 8)));
        store512(b, a0, y);
        store512(b + 1, a1, y);
    }
    for (; b < blocks; b++) gather512_block(x, y, b);
}

static void permute(const double *x, double *y) {
    for (int rb = 0; rb < RB; rb += GROUP) {
        __m512d a[GROUP];
        for (int g = 0; g < GROUP; g++) a[g] = _mm512_setzero_pd();
        for (int cb = 0; cb < CB; cb++) {
            __m512d t0 = _mm512_load_pd(x + cb * TILE), t1 = _mm512_load_pd(x + cb * TILE + 8);
            for (int g = 0; g < GROUP && rb + g < RB; g++) {
                size_t p = (size_t)(rb + g) * CB + cb;
                const double *v = tv + toff[p] * LANES;
                const uint8_t *ix = ti + toff[p] * LANES;
                for (size_t s = toff[p]; s < toff[p + 1]; s++, v += LANES, ix += LANES) {
                    __m512i id = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const void *)ix));
                    a[g] = _mm512_add_pd(a[g], _mm512_mul_pd(_mm512_loadu_pd(v), _mm512_permutex2var_pd(t0, id, t1)));
                }
            }
        }
        for (int g = 0; g < GROUP && rb + g < RB; g++) {
            double t[LANES];
            _mm512_storeu_pd(t, a[g]);
            for (int r = 0; r < LANES && (rb + g) * LANES + r < N; r++) y[(rb + g) * LANES + r] = t[r];
        }
    }
}

/* The damped feedback keeps the state bounded and makes every step depend on the last. */
static void feed_back(double *y) {
    for (int i = 0; i < N; i++) y[i] = 0.5 * y[i] + 0.01 * (i & 7);
}

static double check(void (*kernel)(const double *, double *)) {
    double y[CB * TILE] = {0}, err = 0.0;
    kernel(x_init, y);
    for (int i = 0; i < N; i++) {
        double r = 0.0;
        for (int j = 0; j < N; j++)
            if (dense[i][j] != 0.0) r += dense[i][j] * x_init[j];
        err = fmax(err, fabs(r - y[i]));
    }
    return err;
}

/* The state after the timed steps of the single-thread scalar kernel, which the two-thread
 * run must reproduce bit for bit. */
static double scalar_final[N];

static void report(const char *name, double best, double err) {
    printf("%-10s %8.2f us/step  %6.3f ns/nonzero  max |error| %.1e\n", name, best * 1e6 / STEPS,
           best * 1e9 / STEPS / nnz, err);
}

static void time_kernel(const char *name, void (*kernel)(const double *, double *)) {
    double best = 1e30;
    for (int rep = 0; rep < REPEATS; rep++) {
        memset(xs, 0, sizeof xs);
        memcpy(xs[0], x_init, sizeof x_init);
        double t = now();
        for (int s = 0; s < STEPS; s++) {
            kernel(xs[s & 1], xs[(s + 1) & 1]);
            feed_back(xs[(s + 1) & 1]);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    if (kernel == scalar) memcpy(scalar_final, xs[STEPS & 1], sizeof scalar_final);
    report(name, best, check(kernel));
}

/* Two threads, rows split by block, a spin barrier after every step. */
static atomic_int arrived, generation;
static void barrier(int parties) {
    int g = atomic_load_explicit(&generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&arrived, 1, memory_order_acq_rel) + 1 == parties) {
        atomic_store_explicit(&arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&generation, 1, memory_order_release);
    } else {
        while (atomic_load_explicit(&generation, memory_order_acquire) == g) _mm_pause();
    }
}

static void *worker(void *arg) {
    int k = (int)(intptr_t)arg, b0 = blocks * k / 2, b1 = blocks * (k + 1) / 2;
    for (int s = 0; s < STEPS; s++) {
        double *y = xs[(s + 1) & 1];
        scalar_rows(xs[s & 1], y, b0, b1);
        for (int b = b0; b < b1; b++)
            for (int r = 0; r < LANES && b * LANES + r < N; r++) {
                int i = order[b * LANES + r];
                y[i] = 0.5 * y[i] + 0.01 * (i & 7);
            }
        barrier(2);
    }
    return NULL;
}

static void time_two_threads(void) {
    double best = 1e30;
    for (int rep = 0; rep < REPEATS; rep++) {
        memset(xs, 0, sizeof xs);
        memcpy(xs[0], x_init, sizeof x_init);
        pthread_t other;
        double t = now();
        pthread_create(&other, NULL, worker, (void *)(intptr_t)1);
        worker((void *)(intptr_t)0);
        pthread_join(other, NULL);
        t = now() - t;
        if (t < best) best = t;
    }
    /* Its error is the largest difference to the single-thread run's final state. */
    double err = 0.0;
    for (int i = 0; i < N; i++) err = fmax(err, fabs(xs[STEPS & 1][i] - scalar_final[i]));
    report("scalar x2", best, err);
}

int main(void) {
    build();
    time_kernel("scalar", scalar);
    time_kernel("gather256", gather256);
    time_kernel("gather512", gather512);
    time_kernel("permute", permute);
    time_two_threads();
    return 0;
}
