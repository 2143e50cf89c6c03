#ifndef KILN_CDEFLATE_SHIM_H
#define KILN_CDEFLATE_SHIM_H
/* libdeflate (libdeflate-dev): whole-buffer DEFLATE/gzip compression, two to three times
   faster than zlib at the same level. kiln uses it to gzip layers when they leave the machine. */
#include <libdeflate.h>
#endif
