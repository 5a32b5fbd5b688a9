// Strict loading of protobuf text-format files (the config and calendar formats), with every
// error pointing at "file:line:column".
//
// Parsing uses protobuf's own TextFormat parser: unknown keys, repeated scalar keys, bad enum
// names and syntax errors are rejected with the parser's message and position. After parsing,
// validators ask Error("server.listen", "...") or Error("exceptions[3].date", "...") for an
// error located at that field (or at its closest present parent when the field is absent).
// Thread safety: a TextProtoFile is immutable after Parse().
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace csops {

class TextProtoFile {
 public:
  // Reads `path` and parses it into `message`. Fails with kNotFound when the file cannot be
  // read and kInvalidArgument on any parse error.
  static Result<TextProtoFile> Parse(const std::string& path, google::protobuf::Message* message);

  // kInvalidArgument "<path>:<line>:<col>: <field_path>: <what>".
  Status Error(std::string_view field_path, std::string_view what) const;
  // "<path>:<line>:<col>" of a field path, or "<path>" when nothing in the path is present.
  std::string Where(std::string_view field_path) const;
  const std::string& path() const { return path_; }

 private:
  TextProtoFile(std::string path, const google::protobuf::Descriptor* root)
      : path_(std::move(path)),
        root_(root),
        tree_(std::make_shared<google::protobuf::TextFormat::ParseInfoTree>()) {}

  std::string path_;
  const google::protobuf::Descriptor* root_;
  std::shared_ptr<google::protobuf::TextFormat::ParseInfoTree> tree_;
};

}  // namespace csops
