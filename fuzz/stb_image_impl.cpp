// stb_image's decoder, compiled into the image harness with the sanitizers (see CMakeLists.txt).
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
