// momenta: a copy of peak_fma.c (kept unchanged beside it) that also builds on AVX2-only CPUs.
// Empirical FP32 FMA peak + clock estimate.
// Build: gcc -O2 -march=native -fopenmp peak_fma.c -o peak_fma
// Usage: ./peak_fma   (runs 1 and 2 threads)
// Without AVX-512 (e.g. AMD Zen 3) only the AVX2 rows run, on 14 ymm accumulators (ymm16+ need
// AVX-512VL); the AVX-512 build is unchanged.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <omp.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
// clock estimate: dependent chain of reg-reg adds (1 cycle latency each; reg+imm adds can be
// eliminated at rename on Golden Cove+ so they are NOT used)
static double clock_ghz(void){
  long n=400000000L; long x=0, one=1; double t0=now();
  for(long i=0;i<n;i+=8){
    __asm__ volatile("add %1,%0\n\tadd %1,%0\n\tadd %1,%0\n\tadd %1,%0\n\tadd %1,%0\n\tadd %1,%0\n\tadd %1,%0\n\tadd %1,%0":"+r"(x):"r"(one));
  }
  double t=now()-t0; if(x!=n) printf("?");
  return n/t/1e9;
}
#define NACC 16
#define F16(OP,R) OP " %%" R "1,%%" R "0,%%" R "2\n\t" OP " %%" R "1,%%" R "0,%%" R "3\n\t" OP " %%" R "1,%%" R "0,%%" R "4\n\t" OP " %%" R "1,%%" R "0,%%" R "5\n\t" \
  OP " %%" R "1,%%" R "0,%%" R "6\n\t" OP " %%" R "1,%%" R "0,%%" R "7\n\t" OP " %%" R "1,%%" R "0,%%" R "8\n\t" OP " %%" R "1,%%" R "0,%%" R "9\n\t" \
  OP " %%" R "1,%%" R "0,%%" R "10\n\t" OP " %%" R "1,%%" R "0,%%" R "11\n\t" OP " %%" R "1,%%" R "0,%%" R "12\n\t" OP " %%" R "1,%%" R "0,%%" R "13\n\t" \
  OP " %%" R "1,%%" R "0,%%" R "14\n\t" OP " %%" R "1,%%" R "0,%%" R "15\n\t" OP " %%" R "1,%%" R "0,%%" R "16\n\t" OP " %%" R "1,%%" R "0,%%" R "17\n\t"
#ifdef __AVX512F__
#define NACC256 NACC
static double fma512(long iters){
  __asm__ volatile("vxorps %%zmm0,%%zmm0,%%zmm0\n\tvxorps %%zmm1,%%zmm1,%%zmm1\n\t"
    "1:\n\t" F16("vfmadd231ps","zmm") "dec %0\n\tjnz 1b" : "+r"(iters) :: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11","xmm12","xmm13","xmm14","xmm15","xmm16","xmm17","cc");
  return 0;
}
static double fma256(long iters){
  __asm__ volatile("vxorps %%ymm0,%%ymm0,%%ymm0\n\tvxorps %%ymm1,%%ymm1,%%ymm1\n\t"
    "1:\n\t" F16("vfmadd231ps","ymm") "dec %0\n\tjnz 1b" : "+r"(iters) :: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11","xmm12","xmm13","xmm14","xmm15","xmm16","xmm17","cc");
  return 0;
}
#define WMAX 512
#else
#define NACC256 14
#define F14(OP,R) OP " %%" R "1,%%" R "0,%%" R "2\n\t" OP " %%" R "1,%%" R "0,%%" R "3\n\t" OP " %%" R "1,%%" R "0,%%" R "4\n\t" OP " %%" R "1,%%" R "0,%%" R "5\n\t" \
  OP " %%" R "1,%%" R "0,%%" R "6\n\t" OP " %%" R "1,%%" R "0,%%" R "7\n\t" OP " %%" R "1,%%" R "0,%%" R "8\n\t" OP " %%" R "1,%%" R "0,%%" R "9\n\t" \
  OP " %%" R "1,%%" R "0,%%" R "10\n\t" OP " %%" R "1,%%" R "0,%%" R "11\n\t" OP " %%" R "1,%%" R "0,%%" R "12\n\t" OP " %%" R "1,%%" R "0,%%" R "13\n\t" \
  OP " %%" R "1,%%" R "0,%%" R "14\n\t" OP " %%" R "1,%%" R "0,%%" R "15\n\t"
static double fma512(long iters){ (void)iters; return 0; }
static double fma256(long iters){
  __asm__ volatile("vxorps %%ymm0,%%ymm0,%%ymm0\n\tvxorps %%ymm1,%%ymm1,%%ymm1\n\t"
    "1:\n\t" F14("vfmadd231ps","ymm") "dec %0\n\tjnz 1b" : "+r"(iters) :: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11","xmm12","xmm13","xmm14","xmm15","cc");
  return 0;
}
#define WMAX 256
#endif
int main(){
  int reps=(getenv("REPS")?atoi(getenv("REPS")):11);
  for(int r=0;r<3;r++) printf("clock_est_GHz(scalar add chain) %.3f\n", clock_ghz());
  long iters=(getenv("ITERS")?atol(getenv("ITERS")):30000000L);
  for(int th=1;th<=2;th++){
    omp_set_num_threads(th);
    for(int w=WMAX; w>=256; w-=256){
      double best=0, all[64];
      for(int r=0;r<reps;r++){
        double sink=0; double t0=now();
        #pragma omp parallel reduction(+:sink)
        { sink += (w==512)? fma512(iters): fma256(iters); }
        double t=now()-t0;
        double flops=(double)th*iters*((w==512)?NACC:NACC256)*(w/32)*2.0;
        all[r]=flops/t/1e9; if(all[r]>best)best=all[r];
        if(sink==12345.0) printf("x");
      }
      // median
      for(int i=0;i<reps;i++)for(int j=i+1;j<reps;j++)if(all[j]<all[i]){double tt=all[i];all[i]=all[j];all[j]=tt;}
      printf("threads=%d avx%d_fma GFLOP/s median %.1f min %.1f max %.1f (per core %.1f) all:",
             th,w,all[reps/2],all[0],all[reps-1],all[reps/2]/th);
      for(int i=0;i<reps;i++) printf(" %.0f",all[i]); printf("\n");
    }
  }
  return 0;
}
