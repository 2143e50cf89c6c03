#ifndef KILN_CZSTD_SHIM_H
#define KILN_CZSTD_SHIM_H
/* libzstd (libzstd-dev), the reference zstd: multi-threaded streaming compression of layers
   pushed or saved with --compression zstd, and decompression of zstd layers. */
#include <zstd.h>
#endif
