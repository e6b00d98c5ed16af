// The files mcpwatch serves, compiled into the binary with C23's #embed, so that a copied binary is whole on its own
// (a package resource bundle stays behind). The compiler lists each embedded file as a dependency of this object
// file, so editing one rebuilds it. A new dashboard file needs a line below; MCPWatchServerTests checks the list
// against the folder.

#include "CEmbeddedFiles.h"

#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char openapi_json[] = {
#embed "../../docs/openapi.json"
};

static const unsigned char index_html[] = {
#embed "../MCPWatchServer/Dashboard/index.html"
};
static const unsigned char dashboard_css[] = {
#embed "../MCPWatchServer/Dashboard/dashboard.css"
};
static const unsigned char dashboard_js[] = {
#embed "../MCPWatchServer/Dashboard/dashboard.js"
};
static const unsigned char charts_js[] = {
#embed "../MCPWatchServer/Dashboard/charts.js"
};
static const unsigned char fleet_js[] = {
#embed "../MCPWatchServer/Dashboard/fleet.js"
};
static const unsigned char calls_js[] = {
#embed "../MCPWatchServer/Dashboard/calls.js"
};
static const unsigned char traffic_js[] = {
#embed "../MCPWatchServer/Dashboard/traffic.js"
};

static const mcpwatch_embedded_file dashboard[] = {
    {"index.html", index_html, sizeof index_html},
    {"dashboard.css", dashboard_css, sizeof dashboard_css},
    {"dashboard.js", dashboard_js, sizeof dashboard_js},
    {"charts.js", charts_js, sizeof charts_js},
    {"fleet.js", fleet_js, sizeof fleet_js},
    {"calls.js", calls_js, sizeof calls_js},
    {"traffic.js", traffic_js, sizeof traffic_js},
};

mcpwatch_embedded_file mcpwatch_openapi_document(void) {
    mcpwatch_embedded_file file = {"openapi.json", openapi_json, sizeof openapi_json};
    return file;
}

size_t mcpwatch_dashboard_file_count(void) { return sizeof dashboard / sizeof dashboard[0]; }

mcpwatch_embedded_file mcpwatch_dashboard_file(size_t index) {
    if (index >= mcpwatch_dashboard_file_count()) {
        mcpwatch_embedded_file none = {"", 0, 0};
        return none;
    }
    return dashboard[index];
}
