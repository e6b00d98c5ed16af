#ifndef MCPWATCH_CZLIB_H
#define MCPWATCH_CZLIB_H

#include <zlib.h>

/// `deflateInit2` is a macro (it passes the library's version and `sizeof(z_stream)`), which Swift cannot call.
static inline int CZlib_deflateInit2(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

#endif
