# MOMENTA_FUZZ: the libFuzzer harnesses of fuzz/ (see scripts/fuzz.sh). Clang only: the engine
# library is built with coverage instrumentation and ASan+UBSan (-fsanitize=fuzzer-no-link), the
# harnesses with libFuzzer's main (-fsanitize=fuzzer). UBSan stops at the first report
# (-fno-sanitize-recover=all) so that undefined behaviour counts as a crash.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MOMENTA_FUZZ needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
    "configure with -DCMAKE_CXX_COMPILER=clang++ (Debian: apt-get install clang libclang-rt-14-dev)")
endif()
if(MOMENTA_SANITIZE)
  message(FATAL_ERROR "MOMENTA_FUZZ chooses its own sanitizers; leave MOMENTA_SANITIZE empty")
endif()
set(MOMENTA_FUZZ_SANITIZERS address,undefined)

# Instruments `target` for fuzzing; whatever links it gets the sanitizer runtimes.
function(momenta_fuzz_instrument target)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,${MOMENTA_FUZZ_SANITIZERS}
    -fno-sanitize-recover=all -fno-omit-frame-pointer -gline-tables-only)
  target_link_options(${target} INTERFACE -fsanitize=${MOMENTA_FUZZ_SANITIZERS})
endfunction()
