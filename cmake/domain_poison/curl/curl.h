// Put first on the include path of domain targets (csops_domain() in CMakeLists.txt): a domain file
// that includes <curl/curl.h> fails to build. Domain code is pure (docs/ARCHITECTURE.md).
#error "domain code must not include <curl/curl.h>: keep it in the store, api or engine layer"
