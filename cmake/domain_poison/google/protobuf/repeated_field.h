// Put first on the include path of domain targets (csops_domain() in CMakeLists.txt): a domain file
// that includes <google/protobuf/repeated_field.h> fails to build. Domain code is pure
// (docs/ARCHITECTURE.md).
#error \
    "domain code must not include <google/protobuf/repeated_field.h>: keep it in the store, api or engine layer"
