#include "services/web/qr_svg.h"

#include <qrencode.h>

#include <memory>

#include "common/base/html.h"

namespace csops::web {

Result<std::string> QrSvg(const std::string& text, const std::string& label, int module_px) {
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M), QRcode_free);
  if (!code) return Status::InvalidArgument("text: too long for a QR code");
  const int n = code->width;
  const int quiet = 4;
  const int size = n + 2 * quiet;
  std::string path;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      if (code->data[y * n + x] & 1)
        path += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
  const std::string px = std::to_string(size * module_px);
  return "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" +
         EscapeHtml(label) + "\" width=\"" + px + "\" height=\"" + px + "\" viewBox=\"0 0 " +
         std::to_string(size) + " " + std::to_string(size) +
         "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
         "<path fill=\"#000\" d=\"" +
         path + "\"/></svg>";
}

}  // namespace csops::web
