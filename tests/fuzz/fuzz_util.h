// Helpers for csops's fuzz targets (LLVMFuzzerTestOneInput in each fuzz_*.cc).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace csops::fuzz {

// A directory made once per process, removed by the OS's tmp cleaning (fuzz runs are short).
inline const std::string& TempDir() {
  static const std::string dir = [] {
    std::string tmpl = "/tmp/csops-fuzz-" + std::string(6, 'X');  // mkdtemp's template
    const char* d = mkdtemp(tmpl.data());
    if (!d) std::abort();
    return std::string(d);
  }();
  return dir;
}

inline std::string WriteFile(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// Splits the input at NUL bytes into at most `n` fields (the last takes the rest).
inline std::vector<std::string> Fields(const uint8_t* data, size_t size, size_t n) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && out.size() < n) {
      out.emplace_back();
    } else {
      out.back() += static_cast<char>(data[i]);
    }
  }
  out.resize(n);
  return out;
}

}  // namespace csops::fuzz
