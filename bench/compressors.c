/* Single-thread cost of the layer compressors kiln could use (issue 13): today's pigz-style zlib,
   libdeflate in 1 MiB gzip members (what kiln now uses for gzip), and libzstd.

     gcc -O2 -o /tmp/compressors bench/compressors.c -lz -ldeflate -lzstd
     cd DIR-WITH-layer.tar && /tmp/compressors zlib|deflate|zstd LEVEL
     LIMIT=16777216 valgrind --tool=callgrind /tmp/compressors deflate 6   # instruction counts

   Reads ./layer.tar (any tar; bench/results used 512 MiB of /usr/lib and /usr/share) into memory,
   compresses it once on one thread, prints the compressed size, wall and CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <libdeflate.h>
#include <zstd.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
  const char*mode=argv[1]; int level=atoi(argv[2]);
  FILE*f=fopen("layer.tar","rb"); fseek(f,0,SEEK_END); size_t n=ftell(f); if(getenv("LIMIT")) n=atol(getenv("LIMIT")); fseek(f,0,SEEK_SET);
  unsigned char*in=malloc(n); fread(in,1,n,f); fclose(f);
  size_t block=(size_t)1<<20; unsigned char*out=malloc(n+n/10+(1<<20)); size_t total=0;
  double t0=now();
  if(!strcmp(mode,"zlib")){ /* pigz-style: 128K blocks, 32K dictionary, sync flush */
    size_t b=128*1024;
    for(size_t off=0;off<n;off+=b){size_t len=off+b>n?n-off:b; z_stream s;memset(&s,0,sizeof s);
      deflateInit2(&s,level,Z_DEFLATED,-15,8,Z_DEFAULT_STRATEGY);
      if(off) deflateSetDictionary(&s,in+off-32768,32768);
      s.next_in=in+off;s.avail_in=len;s.next_out=out;s.avail_out=deflateBound(&s,len)+64;
      deflate(&s,off+len>=n?Z_FINISH:Z_SYNC_FLUSH); total+=s.total_out; crc32(0,in+off,len); deflateEnd(&s);}
  } else if(!strcmp(mode,"deflate")){ struct libdeflate_compressor*c=libdeflate_alloc_compressor(level);
    for(size_t off=0;off<n;off+=block){size_t len=off+block>n?n-off:block;
      total+=libdeflate_gzip_compress(c,in+off,len,out,libdeflate_gzip_compress_bound(c,len));}
  } else if(!strcmp(mode,"zstd")){ ZSTD_CCtx*c=ZSTD_createCCtx(); ZSTD_CCtx_setParameter(c,ZSTD_c_compressionLevel,level);
    int w=argc>3?atoi(argv[3]):0; ZSTD_CCtx_setParameter(c,ZSTD_c_nbWorkers,w);
    ZSTD_inBuffer ib={in,n,0}; size_t cap=ZSTD_compressBound(n); unsigned char*o=malloc(cap); ZSTD_outBuffer ob={o,cap,0};
    ZSTD_compressStream2(c,&ob,&ib,ZSTD_e_end); total=ob.pos;}
  double t=now()-t0; struct timespec cp; clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&cp);
  printf("%s level %d: %zu -> %zu (%.1f%%) in %.2fs = %.0f MB/s  wall, cpu %.2fs\n",mode,level,n,total,100.0*total/n,t,n/t/1e6,cp.tv_sec+cp.tv_nsec/1e9);
}
