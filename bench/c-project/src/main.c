/* wordfreq [N]: reads standard input, prints the N (default 10) most frequent words as "COUNT WORD". */
#include "wordfreq.h"
#include <stdio.h>
#include <stdlib.h>

static void add(const char *w, size_t len, void *ctx) { table_add(ctx, w, len); }

int main(int argc, char **argv) {
    size_t limit = argc > 1 ? strtoul(argv[1], NULL, 10) : 10, cap = 1 << 16, len = 0, got;
    char *text = malloc(cap);
    while ((got = fread(text + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) text = realloc(text, cap *= 2);
    }
    struct table t;
    table_init(&t, 1024);
    words_each(text, len, add, &t);
    size_t n;
    struct entry *sorted = table_sorted(&t, &n);
    for (size_t i = 0; i < n && i < limit; i++) printf("%zu %s\n", sorted[i].count, sorted[i].word);
    free(sorted);
    table_free(&t);
    free(text);
    return 0;
}
