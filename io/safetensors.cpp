#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/storage.h"
#include "io/atomic_file.h"

namespace bf {
namespace {

using json = nlohmann::json;

// Tensor data is copied with memcpy in both directions, which is only the little-endian layout the
// format requires when the host is little-endian too (x86-64 and AArch64 Linux are).
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

// A header this large is not a checkpoint but garbage (or an attack on the parser's memory).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

std::string_view safetensors_dtype(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i32: return "I32";
  }
  return "?";
}

std::optional<DType> dtype_from_safetensors(const std::string& name) {
  if (name == "F32") return DType::f32;
  if (name == "F64") return DType::f64;
  if (name == "I32") return DType::i32;
  return std::nullopt;
}

// Every decoding error starts with the file's name, so the message alone says which checkpoint is bad.
template <class... Parts>
[[noreturn]] void bad(const std::string& source, const Parts&... parts) {
  fail("safetensors file '", source, "': ", parts...);
}

// A JSON value for an error message, cut short: a hostile header may hold a megabyte-long array.
std::string brief(const json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// One validated header entry.
struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;  // relative to the data section
};

// A valid header nests 3 deep ({tensor: {"shape": [...]}}). nlohmann parses any depth without recursion,
// but dumping a value recursively (as the error messages below do, through brief()) overflowed the stack
// on a header nested ~100,000 deep: a 200 KB file crashed the reader. Found by review, confirmed with the
// fuzz build; see tests/train/test_fuzz_regressions.cpp.
constexpr int kMaxHeaderDepth = 64;

// Parses the header text, rejecting duplicate keys and deep nesting. nlohmann::json silently keeps the
// last of two equal keys, so a file naming one tensor twice would load "fine" with one of them dropped;
// the parse callback sees every key as it is read and records the first repeat within any one object.
json parse_header(std::string_view text, const std::string& source) {
  std::vector<std::set<std::string>> open_objects;  // keys seen so far in each enclosing object
  std::string duplicate;
  bool duplicate_at_top = false;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxHeaderDepth)
      bad(source, "header nests JSON more than ", kMaxHeaderDepth, " levels deep (a valid header nests 3)");
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty() && duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) {
        duplicate = key;
        duplicate_at_top = open_objects.size() == 1;
      }
    }
    return true;  // keep every value
  };
  json header;
  try {
    header = json::parse(text.data(), text.data() + text.size(), on_event);
  } catch (const json::parse_error& e) {
    // e.byte counts from 1 within the header, which starts at file byte 8.
    bad(source, "header is not valid JSON (parse error near file byte ", 8 + (e.byte > 0 ? e.byte - 1 : 0),
        "): ", e.what());
  }
  if (!duplicate.empty()) {
    bad(source, duplicate_at_top ? "duplicate tensor name '" : "duplicate key '", duplicate,
        "' in the header (bytes 8 to ", 8 + text.size(), ")");
  }
  if (!header.is_object()) bad(source, "header is not a JSON object (got ", header.type_name(), " at file byte 8)");
  return header;
}

// Checks one tensor entry's fields and types, and that its shape, dtype and offsets agree with each
// other and with the data section. Overlaps between tensors are checked later, once all are known.
Entry parse_entry(const std::string& name, const json& value, uint64_t data_start, uint64_t data_size,
                  const std::string& source) {
  const std::string where = "tensor '" + name + "' (header at bytes 8 to " + std::to_string(data_start) + "): ";
  if (!value.is_object()) bad(source, where, "entry must be a JSON object, got ", value.type_name());
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field)) bad(source, where, "missing '", field, "'");

  Entry entry{name, DType::f32, Shape(), 0, 0};
  const json& dtype = value["dtype"];
  if (!dtype.is_string()) bad(source, where, "'dtype' must be a string, got ", brief(dtype));
  const std::optional<DType> parsed_dtype = dtype_from_safetensors(dtype.get<std::string>());
  if (!parsed_dtype) bad(source, where, "unsupported dtype ", brief(dtype), " (bareformer reads F32, F64 and I32)");
  entry.dtype = *parsed_dtype;

  const json& shape = value["shape"];
  if (!shape.is_array()) bad(source, where, "'shape' must be an array of integers, got ", brief(shape));
  if (shape.size() > static_cast<size_t>(Shape::kMaxDims))
    bad(source, where, "shape ", brief(shape), " has ", shape.size(), " dimensions; bareformer tensors have at most ",
        Shape::kMaxDims);
  int64_t numel = 1;
  for (const json& dim : shape) {
    if (!dim.is_number_integer()) bad(source, where, "'shape' must be an array of integers, got ", brief(shape));
    if (!dim.is_number_unsigned()) bad(source, where, "negative dimension in shape ", brief(shape));
    const uint64_t d = dim.get<uint64_t>();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(numel, static_cast<int64_t>(d), &numel))
      bad(source, where, "element count of shape ", brief(shape), " overflows");
    entry.shape.push_back(static_cast<int64_t>(d));
  }
  int64_t expected_bytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<int64_t>(dtype_size(entry.dtype)), &expected_bytes))
    bad(source, where, "byte size of shape ", brief(shape), " overflows");

  const json& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    bad(source, where, "'data_offsets' must be [begin, end] with non-negative integers, got ", brief(offsets));
  entry.begin = offsets[0].get<uint64_t>();
  entry.end = offsets[1].get<uint64_t>();
  if (entry.begin > entry.end)
    bad(source, where, "data_offsets begin ", entry.begin, " > end ", entry.end, " (file byte ", data_start, " + ",
        entry.begin, ")");
  if (entry.end > data_size)
    bad(source, where, "data_offsets end ", entry.end, " is past the end of the data section (", data_size,
        " bytes, file bytes ", data_start, " to ", data_start + data_size, ")");
  if (entry.end - entry.begin != static_cast<uint64_t>(expected_bytes))
    bad(source, where, "data_offsets [", entry.begin, ", ", entry.end, ") at file byte ", data_start + entry.begin,
        " hold ", entry.end - entry.begin, " bytes, but ", safetensors_dtype(entry.dtype), " shape ",
        entry.shape, " needs ", expected_bytes, " bytes");
  return entry;
}

}  // namespace

std::string encode_safetensors(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  // ordered_json keeps the header in the caller's order, so a human reading it sees the layout order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  host.reserve(tensors.size());
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const NamedTensor& named : tensors) {
    BF_CHECK(named.tensor.defined(), "encode_safetensors: tensor '", named.name, "' is undefined");
    BF_CHECK(named.name != "__metadata__", "encode_safetensors: '__metadata__' is reserved, not a tensor name");
    BF_CHECK(names.insert(named.name).second, "encode_safetensors: duplicate tensor name '", named.name, "'");
    Tensor t = named.tensor.to(Device::cpu);
    std::vector<int64_t> shape;
    for (int axis = 0; axis < t.ndim(); ++axis) shape.push_back(t.size(axis));
    const uint64_t end = offset + t.nbytes();
    header[named.name] = {{"dtype", safetensors_dtype(t.dtype())},
                          {"shape", shape},
                          {"data_offsets", nlohmann::ordered_json::array({offset, end})}};
    offset = end;
    host.push_back(std::move(t));
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // e.g. a name or metadata value that is not UTF-8
    fail("encode_safetensors: cannot write the JSON header: ", e.what());
  }
  // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned, as the Python
  // writer does; readers that mmap the file can then view the data in place.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((uint64_t{text.size()} >> (8 * i)) & 0xff));
  out += text;
  for (const Tensor& t : host)
    if (t.nbytes() > 0) out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  return out;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::string bytes;
  try {
    bytes = encode_safetensors(tensors, metadata);
  } catch (const Error& e) {
    fail("saving '", path, "': ", e.what());
  }
  write_file_atomically(path, bytes);
}

SafetensorsContents decode_safetensors(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 8)
    bad(source, "file is ", bytes.size(), " bytes, shorter than the 8-byte header length at byte 0");
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  if (header_size > kMaxHeaderBytes)
    bad(source, "header length ", header_size, " (file bytes 0 to 8) is larger than the 100 MB limit");
  if (header_size > bytes.size() - 8)
    bad(source, "header length ", header_size, " (file bytes 0 to 8) exceeds the ", bytes.size() - 8,
        " bytes that follow it");
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = bytes.size() - data_start;

  SafetensorsContents contents;
  std::vector<Entry> entries;
  try {  // the checks below test types before every access; this is a net for anything they miss
    const json header = parse_header(std::string_view(bytes).substr(8, header_size), source);
    for (const auto& [key, value] : header.items()) {
      if (key != "__metadata__") {
        entries.push_back(parse_entry(key, value, data_start, data_size, source));
        continue;
      }
      if (!value.is_object()) bad(source, "'__metadata__' must be a JSON object of strings, got ", value.type_name());
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (!meta_value.is_string())
          bad(source, "__metadata__ value for key '", meta_key, "' is not a string (got ", brief(meta_value), ")");
        contents.metadata[meta_key] = meta_value.get<std::string>();
      }
    }
  } catch (const json::exception& e) {
    bad(source, "malformed header: ", e.what());
  }

  // Overlap check: in begin order, a non-empty tensor must start at or after the furthest end so far.
  // Gaps are harmless (the bytes are simply unused); overlaps would alias two parameters.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) {
              return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
            });
  const Entry* furthest = nullptr;
  for (const Entry& entry : entries) {
    if (entry.begin == entry.end) continue;  // empty tensors occupy no bytes
    if (furthest && entry.begin < furthest->end)
      bad(source, "tensor '", entry.name, "' at data_offsets [", entry.begin, ", ", entry.end, ") (file byte ",
          data_start + entry.begin, ") overlaps tensor '", furthest->name, "' at [", furthest->begin, ", ",
          furthest->end, ")");
    if (!furthest || entry.end > furthest->end) furthest = &entry;
  }
  // Bytes after the last tensor belong to nothing: a file cut and pasted together, or a writer's bug.
  const uint64_t used = furthest ? furthest->end : 0;
  if (used < data_size)
    bad(source, data_size - used, " bytes after the last tensor (file bytes ", data_start + used, " to ",
        data_start + data_size, ")");

  contents.tensors.reserve(entries.size());
  for (const Entry& entry : entries) {
    AllocationContext context("tensor '" + entry.name + "' of " + source);
    Tensor t = Tensor::empty(entry.shape, entry.dtype, Device::cpu);
    if (t.nbytes() > 0) std::memcpy(t.raw_data(), bytes.data() + data_start + entry.begin, t.nbytes());
    contents.tensors.push_back({entry.name, std::move(t)});
  }
  return contents;
}

SafetensorsContents load_safetensors(const std::string& path) {
  return decode_safetensors(read_whole_file(path), path);
}

}  // namespace bf
