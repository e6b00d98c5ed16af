// zlib's header for Swift (SwiftPM wants a source file in a C target); the library itself is the system's libz.
#include "CZlib.h"
