#include "common/config/textproto_file.h"

#include <google/protobuf/io/tokenizer.h>

#include <fstream>
#include <sstream>

namespace csops {
namespace {

class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!has_error) {
      has_error = true;
      text = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  bool has_error = false;
  std::string text;
};

}  // namespace

Result<TextProtoFile> TextProtoFile::Parse(const std::string& path,
                                           google::protobuf::Message* message) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot read the file");
  std::stringstream buf;
  buf << in.rdbuf();
  TextProtoFile file(path, message->GetDescriptor());
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(file.tree_.get());
  if (!parser.ParseFromString(buf.str(), message)) {
    return Status::InvalidArgument(path + ":" +
                                   (errors.has_error ? errors.text : std::string("parse error")));
  }
  return file;
}

std::string TextProtoFile::Where(std::string_view field_path) const {
  const google::protobuf::Descriptor* desc = root_;
  google::protobuf::TextFormat::ParseInfoTree* tree = tree_.get();
  std::string best = path_;
  std::string_view rest = field_path;
  while (!rest.empty() && desc && tree) {
    std::size_t dot = rest.find('.');
    std::string_view seg = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    int index = -1;
    if (auto br = seg.find('['); br != std::string_view::npos) {
      index = std::stoi(std::string(seg.substr(br + 1)));
      seg = seg.substr(0, br);
    }
    const google::protobuf::FieldDescriptor* field = desc->FindFieldByName(std::string(seg));
    if (!field) break;
    if (field->is_repeated() && index < 0) index = 0;
    google::protobuf::TextFormat::ParseLocation loc = tree->GetLocation(field, index);
    if (loc.line < 0) break;
    best = path_ + ":" + std::to_string(loc.line + 1) + ":" + std::to_string(loc.column + 1);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) break;
    tree = tree->GetTreeForNested(field, index);
    desc = field->message_type();
  }
  return best;
}

Status TextProtoFile::Error(std::string_view field_path, std::string_view what) const {
  std::string m = Where(field_path);
  m += ": ";
  m += field_path;
  m += ": ";
  m += what;
  return Status::InvalidArgument(std::move(m));
}

}  // namespace csops
