#include <gtest/gtest.h>

#include "common/base/html.h"
#include "services/web/assets.h"
#include "services/web/language.h"
#include "services/web/qr_svg.h"
#include "services/web/web_routes.h"

namespace csops::web {
namespace {

TEST(LanguageTest, ExplicitChoiceThenAcceptLanguageWeightsThenChinese) {
  EXPECT_EQ(PickLocale("en", "zh-TW"), "en");
  EXPECT_EQ(PickLocale("zh-TW", "en"), "zh-TW");
  EXPECT_EQ(PickLocale("", "en-US,en;q=0.9,zh-TW;q=0.8"), "en");
  EXPECT_EQ(PickLocale("", "fr, zh-Hant-TW;q=0.9, en;q=0.5"), "zh-TW");
  EXPECT_EQ(PickLocale("", "ja, en;q=0"), "zh-TW");  // q=0 means "not this one"
  EXPECT_EQ(PickLocale("", ""), "zh-TW");
  EXPECT_EQ(PickLocale("xx", "EN"), "en");
}

TEST(QrSvgTest, DrawsModulesWithAQuietZoneAndEscapesTheLabel) {
  auto svg = QrSvg("http://127.0.0.1:8080/progress/TS-260212-0042-7?code=ABCD2345", "QR <x>", 4);
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find("role=\"img\" aria-label=\"QR &lt;x&gt;\""), std::string::npos);
  EXPECT_NE(svg->find("<path fill=\"#000\" d=\"M4 4h1v1h-1z"), std::string::npos)  // finder corner
      << svg->substr(0, 400);
  EXPECT_FALSE(QrSvg(std::string(8000, 'x'), "too long").ok());
}

TEST(AssetsTest, PagesFilesAreCompiledInWithTheirTypes) {
  for (const char* name : {"board.js", "board.css", "page.css", "receipt.js"}) {
    auto a = EmbeddedAsset(name);
    ASSERT_TRUE(a.has_value()) << name;
    EXPECT_GT(a->size(), 20u) << name;
  }
  EXPECT_NE(EmbeddedAsset("board.js")->find("EventSource"), std::string::npos);
  EXPECT_FALSE(EmbeddedAsset("../CMakeLists.txt").has_value());
  EXPECT_EQ(ContentTypeOf("board.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("page.css"), "text/css; charset=utf-8");
}

TEST(HtmlTest, JsonStringsAreSafeInsidePages) {
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("</script>&"), "\"\\u003c/script\\u003e\\u0026\"");
  EXPECT_EQ(JsonString("line\nbreak"), "\"line\\u000abreak\"");
  EXPECT_EQ(JsonString("中文\xE2\x80\xA8"), "\"中文\\u2028\"");
  EXPECT_EQ(internal::Tail("/board/taipei-south", "/board/"), "taipei-south");
  EXPECT_EQ(internal::Tail("/board/a/b", "/board/"), "");
}

}  // namespace
}  // namespace csops::web
