/* wordfreq: counts the words of its input and prints them, most frequent first. */
#ifndef WORDFREQ_H
#define WORDFREQ_H
#include <stddef.h>

struct entry { char *word; size_t count; };
struct table { struct entry *slots; size_t size, used; };

void table_init(struct table *t, size_t size);
void table_add(struct table *t, const char *word, size_t len);
struct entry *table_sorted(const struct table *t, size_t *n);
void table_free(struct table *t);

/* Calls add(word, len, ctx) for each run of letters, digits or apostrophes, lowercased. */
void words_each(const char *text, size_t len, void (*add)(const char *, size_t, void *), void *ctx);
#endif
