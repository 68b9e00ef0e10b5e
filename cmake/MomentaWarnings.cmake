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
    target_compile_options(${target} PRIVATE -fsanitize=${MOMENTA_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${MOMENTA_SANITIZE})
  endif()
endfunction()

# Code generation for the engine: the host's vector ISA (AVX2/AVX-512 loops), and no errno
# from math functions so sqrt/exp can be inlined and vectorised. Floating-point contraction
# stays off (ISO C++ mode), so results do not depend on whether the CPU has FMA.
function(momenta_set_optimization target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-math-errno>)
  if(MOMENTA_NATIVE)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  endif()
endfunction()
