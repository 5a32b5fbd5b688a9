// Static files of csopsd's pages (services/web/assets/), compiled into the binary by
// cmake/embed_assets.cmake: pages work offline in a closed network, with no CDN and nothing to
// install beside csopsd.
#pragma once

#include <optional>
#include <string_view>

namespace csops::web {

// The file's bytes, or nullopt when there is no such asset.
std::optional<std::string_view> EmbeddedAsset(std::string_view name);

// "text/css; charset=utf-8" etc. by extension.
std::string_view ContentTypeOf(std::string_view name);

}  // namespace csops::web
