# MOMENTA_CUDA=AUTO builds the CUDA backend when both a CUDA compiler (nvcc) and cuDNN are found,
# ON requires both (a fatal error names what is missing), OFF never.
# Without it, the CUDA kernel table is empty (src/backend/backend.cpp) and src/core/device.cpp
# reports no devices: every CUDA use says "built without CUDA".
#
# Architectures: by default sm_80 and sm_90 machine code plus compute_90 PTX (which the driver
# JIT-compiles for newer GPUs); override with -DCMAKE_CUDA_ARCHITECTURES=... (or the CUDAARCHS
# environment variable). CMake sets CMAKE_CUDA_ARCHITECTURES to nvcc's own default during
# enable_language(CUDA) when it is not yet defined, so our default is put in the cache before
# that; a value the user gave is kept, since a cache entry without FORCE never overwrites one.
# (A build folder configured before this default existed keeps its cached value: configure it
# with -UCMAKE_CUDA_ARCHITECTURES to pick the default up.)
include(CheckLanguage)
set(MOMENTA_HAVE_CUDA OFF)
set(MOMENTA_DEFAULT_CUDA_ARCHITECTURES "80-real;90")

if(NOT MOMENTA_CUDA STREQUAL "OFF")
  set(_momenta_cuda_missing "")
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    find_package(CUDAToolkit)
    if(NOT CUDAToolkit_FOUND)
      list(APPEND _momenta_cuda_missing "the CUDA toolkit (runtime, cuBLAS)")
    endif()
  else()
    list(APPEND _momenta_cuda_missing "a CUDA compiler (nvcc)")
  endif()

  # cuDNN: looked for next to the toolkit first, then in the system folders (Debian packages put
  # it under the multiarch ones).
  find_path(MOMENTA_CUDNN_INCLUDE_DIR cudnn.h
    HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include
    PATH_SUFFIXES x86_64-linux-gnu aarch64-linux-gnu)
  find_library(MOMENTA_CUDNN_LIBRARY cudnn
    HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64
    PATH_SUFFIXES x86_64-linux-gnu aarch64-linux-gnu)
  if(NOT MOMENTA_CUDNN_INCLUDE_DIR OR NOT MOMENTA_CUDNN_LIBRARY)
    list(APPEND _momenta_cuda_missing "cuDNN (cudnn.h and libcudnn)")
  endif()

  if(_momenta_cuda_missing STREQUAL "")
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
      set(CMAKE_CUDA_ARCHITECTURES "${MOMENTA_DEFAULT_CUDA_ARCHITECTURES}" CACHE STRING
        "CUDA architectures (momenta's default: sm_80 and sm_90 machine code plus compute_90 PTX)")
    endif()
    enable_language(CUDA)
    set(MOMENTA_CUDNN_VERSION "")
    if(EXISTS ${MOMENTA_CUDNN_INCLUDE_DIR}/cudnn_version.h)
      file(STRINGS ${MOMENTA_CUDNN_INCLUDE_DIR}/cudnn_version.h _momenta_cudnn_major REGEX "#define CUDNN_MAJOR ")
      string(REGEX REPLACE ".*CUDNN_MAJOR +([0-9]+).*" "\\1" MOMENTA_CUDNN_VERSION "${_momenta_cudnn_major}")
    endif()
    if(NOT TARGET momenta::cudnn)
      add_library(momenta::cudnn UNKNOWN IMPORTED GLOBAL)
      set_target_properties(momenta::cudnn PROPERTIES
        IMPORTED_LOCATION ${MOMENTA_CUDNN_LIBRARY}
        INTERFACE_INCLUDE_DIRECTORIES ${MOMENTA_CUDNN_INCLUDE_DIR})
    endif()
    set(MOMENTA_HAVE_CUDA ON)
    message(STATUS "momenta: cuDNN ${MOMENTA_CUDNN_VERSION} at ${MOMENTA_CUDNN_LIBRARY}; "
                   "CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}")
  else()
    list(JOIN _momenta_cuda_missing "; " _momenta_cuda_missing_text)
    if(MOMENTA_CUDA STREQUAL "ON")
      message(FATAL_ERROR "MOMENTA_CUDA=ON but this was not found: ${_momenta_cuda_missing_text} "
                          "(set CMAKE_CUDA_COMPILER, CUDAToolkit_ROOT or CMAKE_PREFIX_PATH)")
    endif()
    message(STATUS "momenta: not building the CUDA backend; not found: ${_momenta_cuda_missing_text}")
  endif()
endif()
message(STATUS "momenta: CUDA backend ${MOMENTA_HAVE_CUDA}")

function(momenta_add_cuda_backend target)
  if(MOMENTA_HAVE_CUDA)
    file(GLOB_RECURSE cuda_sources CONFIGURE_DEPENDS
      ${PROJECT_SOURCE_DIR}/src/backend/cuda/*.cu ${PROJECT_SOURCE_DIR}/src/backend/cuda/*.cpp)
    target_sources(${target} PRIVATE ${cuda_sources})
    # CUDA_ARCHITECTURES comes from CMAKE_CUDA_ARCHITECTURES (see the top of this file).
    # CMake 3.25 does not know nvcc's C++20 flag (CUDA_STANDARD 20 fails at generation), so the
    # .cu files are C++17; they include only headers that are.
    set_target_properties(${target} PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
    target_compile_definitions(${target} PUBLIC MOMENTA_WITH_CUDA=1)
    target_link_libraries(${target} PUBLIC CUDA::cudart CUDA::cublas momenta::cudnn)
  endif()
endfunction()
