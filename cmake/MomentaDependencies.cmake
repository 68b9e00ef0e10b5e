# Dependencies come from Debian packages (see README): nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)
find_package(ZLIB REQUIRED)
# oneDNN is found by its header and library, not by Debian's dnnl-config.cmake: that config is
# written for a build with the OpenCL GPU runtime and calls find_package(OpenCL REQUIRED), which
# needs ocl-icd-opencl-dev and opencl-c-headers, only Recommends of libdnnl-dev. momenta uses
# oneDNN's CPU engine alone and never includes dnnl_ocl.h, so it needs neither (the runtime loader
# libOpenCL.so.1 is a hard dependency of libdnnl2 and comes with it). A fresh Debian 12 with
# --no-install-recommends failed at configure before this (scripts/check_fresh_machine.sh).
find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(DNNL_LIBRARY NAMES dnnl)
if(NOT DNNL_INCLUDE_DIR OR NOT DNNL_LIBRARY)
  message(FATAL_ERROR "oneDNN not found (header oneapi/dnnl/dnnl.hpp: ${DNNL_INCLUDE_DIR}, "
    "library libdnnl: ${DNNL_LIBRARY}); on Debian: apt-get install libdnnl-dev")
endif()
add_library(momenta_dnnl INTERFACE IMPORTED)
target_include_directories(momenta_dnnl SYSTEM INTERFACE ${DNNL_INCLUDE_DIR})
target_link_libraries(momenta_dnnl INTERFACE ${DNNL_LIBRARY})
find_package(nlohmann_json REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(tomlplusplus REQUIRED CONFIG)
# Eigen (Debian libeigen3-dev, header-only): the dense symmetric eigensolver behind the Frechet
# distance of sample features (analysis/frechet.h); used privately by the engine.
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
# stb (Debian libstb-dev): headers in <include>/stb/ and the implementations compiled into libstb,
# so no source file defines STB_IMAGE_IMPLEMENTATION.
find_path(STB_INCLUDE_DIR stb/stb_image.h REQUIRED)
find_library(STB_LIBRARY stb REQUIRED)
add_library(momenta_stb INTERFACE IMPORTED)
target_include_directories(momenta_stb SYSTEM INTERFACE ${STB_INCLUDE_DIR})
target_link_libraries(momenta_stb INTERFACE ${STB_LIBRARY})
if(MOMENTA_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MOMENTA_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()
