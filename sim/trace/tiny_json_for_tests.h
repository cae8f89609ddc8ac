#pragma once
// A tiny strict JSON parser for tests (RFC 8259 syntax: objects, arrays,
// strings with escapes, numbers, true/false/null). It checks that a file is
// well-formed and lets a test look inside; it is not fast and needs not be.

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kv::sim::testing {

struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject } type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;  // In file order.

  // The member named `key` of an object, or null.
  const Json* Get(const std::string& key) const {
    for (const auto& [k, v] : object) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  std::string StringOr(const std::string& key, const std::string& fallback) const {
    const Json* v = Get(key);
    return v != nullptr && v->type == Type::kString ? v->string : fallback;
  }
  double NumberOr(const std::string& key, double fallback) const {
    const Json* v = Get(key);
    return v != nullptr && v->type == Type::kNumber ? v->number : fallback;
  }
};

class JsonParser {
 public:
  // The document in `text`, or nullopt (with `error()` saying where) if it
  // is not exactly one well-formed JSON value.
  std::optional<Json> Parse(const std::string& text) {
    text_ = &text;
    pos_ = 0;
    Json value;
    if (!Value(value, 0)) return std::nullopt;
    Space();
    if (pos_ != text.size()) return Fail("trailing characters");
    return value;
  }
  const std::string& error() const { return error_; }

 private:
  std::nullopt_t Fail(const std::string& what) {
    if (error_.empty()) error_ = what + " at offset " + std::to_string(pos_);
    return std::nullopt;
  }
  bool Failed(const std::string& what) {
    Fail(what);
    return false;
  }
  void Space() {
    while (pos_ < text_->size() && std::strchr(" \t\r\n", (*text_)[pos_]) != nullptr && (*text_)[pos_] != 0) ++pos_;
  }
  bool Literal(const char* word) {
    const std::string w(word);
    if (text_->compare(pos_, w.size(), w) != 0) return Failed("bad literal");
    pos_ += w.size();
    return true;
  }
  bool String(std::string& out) {
    if ((*text_)[pos_] != '"') return Failed("expected a string");
    ++pos_;
    while (pos_ < text_->size()) {
      const char c = (*text_)[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Failed("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_->size()) break;
      const char e = (*text_)[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u':
          for (int i = 0; i < 4; ++i) {
            if (pos_ >= text_->size() || !std::isxdigit(static_cast<unsigned char>((*text_)[pos_++]))) {
              return Failed("bad \\u escape");
            }
          }
          out += '?';
          break;
        default:
          return Failed("bad escape");
      }
    }
    return Failed("unterminated string");
  }
  bool Number(double& out) {
    const size_t start = pos_;
    if ((*text_)[pos_] == '-') ++pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < text_->size() && std::isdigit(static_cast<unsigned char>((*text_)[pos_]))) ++pos_;
      return pos_ > from;
    };
    if (pos_ < text_->size() && (*text_)[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return Failed("bad number");
    }
    if (pos_ < text_->size() && (*text_)[pos_] == '.') {
      ++pos_;
      if (!digits()) return Failed("bad fraction");
    }
    if (pos_ < text_->size() && ((*text_)[pos_] == 'e' || (*text_)[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_->size() && ((*text_)[pos_] == '+' || (*text_)[pos_] == '-')) ++pos_;
      if (!digits()) return Failed("bad exponent");
    }
    out = std::strtod(text_->substr(start, pos_ - start).c_str(), nullptr);
    return true;
  }
  bool Value(Json& out, int depth) {
    if (depth > 64) return Failed("nested too deep");
    Space();
    if (pos_ >= text_->size()) return Failed("unexpected end");
    const char c = (*text_)[pos_];
    if (c == '{') {
      out.type = Json::Type::kObject;
      ++pos_;
      Space();
      if (pos_ < text_->size() && (*text_)[pos_] == '}') return ++pos_, true;
      while (true) {
        Space();
        std::string key;
        if (pos_ >= text_->size() || !String(key)) return Failed("expected a key");
        Space();
        if (pos_ >= text_->size() || (*text_)[pos_] != ':') return Failed("expected ':'");
        ++pos_;
        Json v;
        if (!Value(v, depth + 1)) return false;
        out.object.emplace_back(std::move(key), std::move(v));
        Space();
        if (pos_ < text_->size() && (*text_)[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < text_->size() && (*text_)[pos_] == '}') return ++pos_, true;
        return Failed("expected ',' or '}'");
      }
    }
    if (c == '[') {
      out.type = Json::Type::kArray;
      ++pos_;
      Space();
      if (pos_ < text_->size() && (*text_)[pos_] == ']') return ++pos_, true;
      while (true) {
        Json v;
        if (!Value(v, depth + 1)) return false;
        out.array.push_back(std::move(v));
        Space();
        if (pos_ < text_->size() && (*text_)[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < text_->size() && (*text_)[pos_] == ']') return ++pos_, true;
        return Failed("expected ',' or ']'");
      }
    }
    if (c == '"') {
      out.type = Json::Type::kString;
      return String(out.string);
    }
    if (c == 't' || c == 'f') {
      out.type = Json::Type::kBool;
      out.boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') return Literal("null");
    out.type = Json::Type::kNumber;
    return Number(out.number);
  }

  const std::string* text_ = nullptr;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace kv::sim::testing
