/* An open-addressing hash table of word counts that grows at 3/4 full. */
#include "wordfreq.h"
#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s, size_t len) {
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

void table_init(struct table *t, size_t size) {
    t->slots = calloc(size, sizeof *t->slots);
    t->size = size;
    t->used = 0;
}

static void grow(struct table *t) {
    struct table bigger;
    table_init(&bigger, t->size * 2);
    for (size_t i = 0; i < t->size; i++) {
        struct entry *e = &t->slots[i];
        if (!e->word) continue;
        size_t j = hash(e->word, strlen(e->word)) & (bigger.size - 1);
        while (bigger.slots[j].word) j = (j + 1) & (bigger.size - 1);
        bigger.slots[j] = *e;
        bigger.used++;
    }
    free(t->slots);
    *t = bigger;
}

void table_add(struct table *t, const char *word, size_t len) {
    if ((t->used + 1) * 4 > t->size * 3) grow(t);
    size_t j = hash(word, len) & (t->size - 1);
    for (;; j = (j + 1) & (t->size - 1)) {
        struct entry *e = &t->slots[j];
        if (!e->word) {
            e->word = strndup(word, len);
            e->count = 1;
            t->used++;
            return;
        }
        if (strlen(e->word) == len && memcmp(e->word, word, len) == 0) {
            e->count++;
            return;
        }
    }
}

static int by_count(const void *a, const void *b) {
    const struct entry *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

struct entry *table_sorted(const struct table *t, size_t *n) {
    struct entry *out = malloc((t->used ? t->used : 1) * sizeof *out);
    *n = 0;
    for (size_t i = 0; i < t->size; i++)
        if (t->slots[i].word) out[(*n)++] = t->slots[i];
    qsort(out, *n, sizeof *out, by_count);
    return out;
}

void table_free(struct table *t) {
    for (size_t i = 0; i < t->size; i++) free(t->slots[i].word);
    free(t->slots);
}
