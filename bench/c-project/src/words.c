/* Splits text into lowercased words. */
#include "wordfreq.h"
#include <ctype.h>

void words_each(const char *text, size_t len, void (*add)(const char *, size_t, void *), void *ctx) {
    char word[256];
    size_t n = 0;
    for (size_t i = 0; i <= len; i++) {
        int c = i < len ? (unsigned char)text[i] : 0;
        if (c && (isalnum(c) || c == '\'')) {
            if (n < sizeof word) word[n++] = (char)tolower(c);
        } else if (n) {
            add(word, n, ctx);
            n = 0;
        }
    }
}
