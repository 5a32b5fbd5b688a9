#include "services/notify/api/send_batch_reactor.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <mutex>
#include <optional>
#include <vector>

#include "common/grpc/grpc_status.h"
#include "services/notify/api/notify_service.h"

namespace csops::notify {
namespace {

namespace pb = csops::notify::v1;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// The path of the first string field of `d` in `bytes` that is not UTF-8 (map entries as
// "variables.key" / "variables.value"), or "" if there is none or the bytes are malformed.
std::string FirstNonUtf8Field(const std::string& bytes, const Descriptor* d,
                              const std::string& prefix, int depth) {
  CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (const std::uint32_t tag = in.ReadTag()) {
    const FieldDescriptor* f = d->FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return "";
      continue;
    }
    std::uint32_t len = 0;
    std::string data;
    if (!in.ReadVarint32(&len) || !in.ReadString(&data, static_cast<int>(len))) return "";
    if (!f) continue;
    if (f->type() == FieldDescriptor::TYPE_STRING && !ValidUtf8(data)) return prefix + f->name();
    if (f->type() == FieldDescriptor::TYPE_MESSAGE && depth < 8) {
      std::string inner =
          FirstNonUtf8Field(data, f->message_type(), prefix + f->name() + ".", depth + 1);
      if (!inner.empty()) return inner;
    }
  }
  return "";
}

class BatchReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  BatchReactor(NotifyEngine& engine, grpc::CallbackServerContext* ctx, grpc::ByteBuffer* response,
               std::function<void()> on_broken)
      : engine_(engine), ctx_(ctx), response_(response), on_broken_(std::move(on_broken)) {
    StartRead(&raw_);
  }

  void OnReadDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    pb::SendRequest item;
    Status parsed;
    if (ok) {
      parsed = ParseSendRequest(raw_, &item);
      raw_.Clear();
    }
    if (!ok || !parsed.ok()) {
      // The end of the stream (or a cancelled call), or an item that cannot be read: nothing
      // after it is read; what came before is committed, then the call finishes.
      if (!parsed.ok()) broken_ = Broken{next_index_, parsed.message()};
      reading_done_ = true;
      FlushLocked(lock);
      const bool finish = ReadyToFinishLocked();
      lock.unlock();
      if (finish) FinishNow();
      return;
    }
    const std::int64_t index = next_index_++;
    if (index >= engine_.config().max_batch_items) {
      RejectLocked(index, item.idempotency_key(),
                   "batch: at most " + std::to_string(engine_.config().max_batch_items) +
                       " items per SendBatch (notify.max_batch_items); send the rest in another "
                       "call");
      lock.unlock();
      StartRead(&raw_);
      return;
    }
    auto cmd = NotifyService::ToCommand(item);
    Result<PreparedSend> prepared =
        cmd.ok() ? engine_.Prepare(std::move(*cmd)) : Result<PreparedSend>(cmd.status());
    if (!prepared.ok()) {
      RejectLocked(index, item.idempotency_key(), prepared.status().message());
    } else {
      chunk_.push_back(std::move(*prepared));
      chunk_index_.push_back(index);
    }
    if (chunk_.size() >= kChunk) FlushLocked(lock);
    if (committing_ >= kMaxChunks) {
      paused_ = true;
      return;
    }
    lock.unlock();
    StartRead(&raw_);
  }

  void OnDone() override { delete this; }
  void OnCancel() override {}

 private:
  static constexpr std::size_t kChunk = 2000;
  static constexpr int kMaxChunks = 4;

  struct Broken {
    std::int64_t index = 0;  // 0-based position of the unreadable item
    std::string reason;
  };

  void RejectLocked(std::int64_t index, const std::string& key, const std::string& reason) {
    summary_.set_rejected_count(summary_.rejected_count() + 1);
    if (summary_.rejected_size() < 1000) {
      auto* r = summary_.add_rejected();
      r->set_index(index);
      r->set_idempotency_key(key);
      r->set_reason(reason);
    }
  }

  void FlushLocked(std::unique_lock<std::mutex>& lock) {
    if (chunk_.empty()) return;
    ++committing_;
    auto indexes = std::make_shared<std::vector<std::int64_t>>(std::move(chunk_index_));
    auto keys = std::make_shared<std::vector<std::string>>();
    for (const PreparedSend& p : chunk_) keys->push_back(p.cmd.idempotency_key);
    std::vector<PreparedSend> items = std::move(chunk_);
    chunk_.clear();
    chunk_index_.clear();
    lock.unlock();  // the completion may run at once (a closed store) and takes mu_
    Commit(std::move(items), indexes, keys);
    lock.lock();
  }

  void Commit(std::vector<PreparedSend> items, std::shared_ptr<std::vector<std::int64_t>> indexes,
              std::shared_ptr<std::vector<std::string>> keys) {
    engine_.SendMany(std::move(items),
                     [this, indexes, keys](Result<std::vector<Result<SendResult>>> r) {
                       std::unique_lock<std::mutex> lock(mu_);
                       --committing_;
                       if (!r.ok()) {
                         if (error_.ok()) error_ = r.status();
                       } else {
                         for (std::size_t i = 0; i < r->size(); ++i) {
                           const auto& one = (*r)[i];
                           if (!one.ok()) {
                             RejectLocked((*indexes)[i], (*keys)[i], one.status().message());
                           } else if (one->duplicate) {
                             summary_.set_duplicates(summary_.duplicates() + 1);
                           } else {
                             summary_.set_accepted(summary_.accepted() + 1);
                           }
                         }
                       }
                       const bool resume = paused_ && !reading_done_;
                       if (resume) paused_ = false;
                       const bool finish = ReadyToFinishLocked();
                       lock.unlock();
                       if (resume) StartRead(&raw_);
                       if (finish) FinishNow();
                     });
  }

  // True once: everything read and committed. The caller finishes after unlocking (OnDone
  // deletes this reactor, its mutex included).
  bool ReadyToFinishLocked() {
    if (!reading_done_ || committing_ > 0 || finished_) return false;
    finished_ = true;
    return true;
  }

  // Runs once, after every commit: no other thread touches the members any more.
  void FinishNow() {
    if (!error_.ok()) return Finish(ToGrpcStatus(error_));
    if (broken_) {
      if (on_broken_) on_broken_();
      ctx_->AddTrailingMetadata(kBatchSummaryTrailer, summary_.SerializeAsString());
      const std::int64_t n = broken_->index + 1;
      return Finish(ToGrpcStatus(Status::InvalidArgument(
          "SendBatch: item " + std::to_string(n) + " (index " + std::to_string(broken_->index) +
          ") could not be read: " + broken_->reason + "; the stream stopped there. Items 1-" +
          std::to_string(broken_->index) +
          " were processed and stay so: " + std::to_string(summary_.accepted()) + " accepted, " +
          std::to_string(summary_.duplicates()) + " duplicates, " +
          std::to_string(summary_.rejected_count()) + " rejected; resend from item " +
          std::to_string(n))));
    }
    const std::string bytes = summary_.SerializeAsString();
    grpc::Slice slice(bytes);
    *response_ = grpc::ByteBuffer(&slice, 1);
    Finish(grpc::Status::OK);
  }

  NotifyEngine& engine_;
  grpc::CallbackServerContext* const ctx_;
  grpc::ByteBuffer* const response_;
  const std::function<void()> on_broken_;
  grpc::ByteBuffer raw_;  // the item being read; only gRPC's read and OnReadDone touch it
  std::mutex mu_;
  pb::SendBatchSummary summary_;  // guarded by mu_
  std::vector<PreparedSend> chunk_;
  std::vector<std::int64_t> chunk_index_;
  std::int64_t next_index_ = 0;
  int committing_ = 0;
  bool paused_ = false;
  bool reading_done_ = false;
  bool finished_ = false;
  std::optional<Broken> broken_;
  Status error_;
};

}  // namespace

Status ParseSendRequest(const grpc::ByteBuffer& bytes, v1::SendRequest* out) {
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) return Status::InvalidArgument("not a SendRequest");
  std::string data;
  for (const grpc::Slice& s : slices)
    data.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // Protobuf logs its own complaint about a non-UTF-8 string; the answer below names it.
  if (out->ParseFromString(data)) return Status();
  const std::string field = FirstNonUtf8Field(data, v1::SendRequest::descriptor(), "", 0);
  if (!field.empty()) return Status::InvalidArgument(field + ": not valid UTF-8");
  return Status::InvalidArgument("not a SendRequest (malformed protobuf)");
}

grpc::ServerReadReactor<grpc::ByteBuffer>* NewSendBatchReactor(NotifyEngine& engine,
                                                               grpc::CallbackServerContext* ctx,
                                                               grpc::ByteBuffer* response,
                                                               std::function<void()> on_broken) {
  return new BatchReactor(engine, ctx, response, std::move(on_broken));
}

}  // namespace csops::notify
