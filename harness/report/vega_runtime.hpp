// The plotting runtime that the HTML report inlines: the browser builds of Vega and
// Vega-Lite from third_party/vega/, embedded into the engine at build time by
// cmake/embed_vega.cmake (the definitions are generated; see third_party/vega/README.md
// for the versions, hashes and licences). Nothing is downloaded at build or run time.
#pragma once

#include <string_view>

namespace hopcost {

// vega.min.js: defines the global `vega`.
std::string_view vega_js();
// vega-lite.min.js: defines the global `vegaLite`; needs only `vega`.
std::string_view vega_lite_js();
// "vega 5.33.1, vega-lite 5.23.0": read from the builds themselves when they are embedded.
std::string_view vega_versions();

}  // namespace hopcost
