// A QR code (libqrencode, error correction M) drawn as SVG: dark modules as one path on a white
// square with the 4-module quiet zone scanners need.
#pragma once

#include <string>

#include "common/base/status.h"

namespace csops::web {

// `module_px` is the size of one module in CSS pixels. `label` becomes the aria-label.
Result<std::string> QrSvg(const std::string& text, const std::string& label, int module_px = 4);

}  // namespace csops::web
