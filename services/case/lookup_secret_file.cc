#include "services/case/lookup_secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace csops::cases {
namespace {

Status Errno(const std::string& path, const char* what) {
  return Status::Unavailable(path + ": cannot " + what + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const std::string& text, const std::string& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(path, "write");
    done += static_cast<std::size_t>(n);
  }
  return Status();
}

Status SyncDir(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno(dir, "open");
  const int r = ::fsync(fd);
  ::close(fd);
  return r == 0 ? Status() : Errno(dir, "fsync");
}

// Writes a fresh key to `path` unless a file appeared there meanwhile; true if it wrote it.
Result<bool> Create(const std::string& path) {
  auto secret = LookupSecret::Generate();
  if (!secret.ok()) return secret.status();
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a leftover of a crash before the link below
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(tmp, "create");
  Status s = WriteAll(fd, secret->Hex() + "\n", tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno(tmp, "fsync");
  ::close(fd);
  // link() never replaces: if another process made the file meanwhile, its key wins.
  bool linked = false;
  if (s.ok()) {
    linked = ::link(tmp.c_str(), path.c_str()) == 0;
    if (!linked && errno != EEXIST) s = Errno(path, "create");
  }
  ::unlink(tmp.c_str());
  if (s.ok()) s = SyncDir(path);
  if (!s.ok()) return s;
  return linked;
}

}  // namespace

Result<LoadedLookupSecret> LoadOrCreateLookupSecret(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  bool created = false;
  if (fd < 0 && errno == ENOENT) {
    auto made = Create(path);
    if (!made.ok()) return made.status();
    created = *made;
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    if (errno == ELOOP)
      return Status::FailedPrecondition(path +
                                        ": is a symbolic link; the look-up secret must "
                                        "be a regular file of csopsd's user");
    return Errno(path, "open");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno(path, "stat");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::FailedPrecondition(path + ": is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(path +
                                      ": group or others may read or write the look-up secret; "
                                      "fix with chmod 600");
  }
  char buf[80];
  std::string text;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Errno(path, "read");
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 128) break;  // a key is 65 bytes; no need to read a large file
  }
  ::close(fd);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  auto secret = LookupSecret::FromHex(text);
  if (!secret.ok())
    return Status::InvalidArgument(path + ": " + secret.status().message() +
                                   " (the file holds 64 hex digits and a newline)");
  return LoadedLookupSecret{*secret, created};
}

}  // namespace csops::cases
