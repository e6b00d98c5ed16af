#ifndef CEMBEDDEDFILES_H
#define CEMBEDDEDFILES_H

#include <stddef.h>

/// A file compiled into the binary: its name and its bytes, exactly as in the source tree.
typedef struct {
    const char *name;
    const unsigned char *bytes;
    size_t count;
} mcpwatch_embedded_file;

/// The OpenAPI document of the monitoring API (docs/openapi.json), served at /api/openapi.json.
mcpwatch_embedded_file mcpwatch_openapi_document(void);

/// How many dashboard files there are (Sources/MCPWatchServer/Dashboard).
size_t mcpwatch_dashboard_file_count(void);

/// One dashboard file, by index below mcpwatch_dashboard_file_count().
mcpwatch_embedded_file mcpwatch_dashboard_file(size_t index);

#endif
