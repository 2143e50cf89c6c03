#ifndef KILN_CZLIB_SHIM_H
#define KILN_CZLIB_SHIM_H
#include <zlib.h>

/// deflateInit2 is a macro in zlib.h, which Swift cannot import; this wrapper passes the
/// version and struct size exactly as the macro would.
static inline int kiln_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                    int memLevel, int strategy) {
    return deflateInit2_(strm, level, method, windowBits, memLevel, strategy,
                         ZLIB_VERSION, (int)sizeof(z_stream));
}

/// inflateInit2 is a macro in zlib.h; see kiln_deflateInit2.
static inline int kiln_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2_(strm, windowBits, ZLIB_VERSION, (int)sizeof(z_stream));
}
#endif
