// The system zlib (present wherever Swift runs on Linux, and in the macOS SDK).
#include <zlib.h>
