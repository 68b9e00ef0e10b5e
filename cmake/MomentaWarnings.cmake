# Warnings for our own targets; MOMENTA_WERROR turns them into errors (CI sets it).
function(momenta_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wno-unknown-pragmas
    # GCC 12 reports false -Wrestrict positives inside std::string concatenation (GCC bug 105329).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>>)
  if(MOMENTA_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
  if(MOMENTA_SANITIZE)
    # No recovery: a UBSan report aborts the process (and fails its test) instead of scrolling by.
    target_compile_options(${target} PRIVATE -fsanitize=${MOMENTA_SANITIZE} -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${MOMENTA_SANITIZE})
  endif()
endfunction()

# Code generation for the engine: the host's vector ISA (AVX2/AVX-512 loops), and no errno
# from math functions so sqrt/exp can be inlined and vectorised. GCC would contract a*b+c
# into one FMA by default in C++; -ffp-contract=off keeps every update rule's arithmetic
# exactly as written (the golden trajectories were computed unfused), whatever the CPU.
# The GEMMs in oneDNN (and cuBLAS) use FMA regardless. nvcc contracts too: --fmad=false keeps the
# shared kernels (update rules, kernels/mathfn.h, the Philox normals) the same bits on the GPU.
# -fno-trapping-math: nothing here reads floating-point exception flags, so a comparison may be
# evaluated unconditionally; without it GCC will not turn a clamp (x > hi ? hi : x) into a
# vector select, and loops such as Adai's update stay scalar. Computed values do not change.
function(momenta_set_optimization target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-math-errno -ffp-contract=off -fno-trapping-math>
                                           $<$<COMPILE_LANGUAGE:CUDA>:--fmad=false>)
  if(MOMENTA_NATIVE)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  endif()
endfunction()
