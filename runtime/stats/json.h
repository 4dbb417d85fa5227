// json.h: a minimal JSON writer for libgreen's reports (stats/).
//
// Threading: a JsonOut belongs to the one thread building the report.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace green {

// Appends to a string; the caller writes the braces and commas with raw().
class JsonOut {
 public:
  explicit JsonOut(std::string* out) : s_(out) {}
  JsonOut& raw(const char* text) {
    s_->append(text);
    return *this;
  }
  // "key":
  JsonOut& key(const char* k) {
    str(k);
    s_->push_back(':');
    return *this;
  }
  JsonOut& str(const char* v) {
    s_->push_back('"');
    for (const char* p = v; *p; p++) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"' || c == '\\') {
        s_->push_back('\\');
        s_->push_back(static_cast<char>(c));
      } else if (c < 0x20) {
        char esc[8];
        snprintf(esc, sizeof esc, "\\u%04x", c);
        s_->append(esc);
      } else {
        s_->push_back(static_cast<char>(c));
      }
    }
    s_->push_back('"');
    return *this;
  }
  JsonOut& num(int64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    s_->append(buf);
    return *this;
  }
  JsonOut& boolean(bool v) { return raw(v ? "true" : "false"); }
  // "key":value, with a comma before it unless first.
  JsonOut& field(const char* k, int64_t v, bool first = false) {
    if (!first) s_->push_back(',');
    return key(k).num(v);
  }
  JsonOut& field(const char* k, const char* v, bool first = false) {
    if (!first) s_->push_back(',');
    return key(k).str(v);
  }

 private:
  std::string* s_;
};

}  // namespace green
