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

/* Two system headers that Swift's Glibc module does not bring in, which LayerArchive needs
   next to zlib: extended attributes and device numbers. */
#include <sys/xattr.h>
#include <sys/sysmacros.h>

static inline unsigned long long kiln_makedev(unsigned int major, unsigned int minor) {
    return makedev(major, minor);
}
static inline unsigned int kiln_major(unsigned long long dev) { return major(dev); }
static inline unsigned int kiln_minor(unsigned long long dev) { return minor(dev); }
#endif
