// Safetensors checkpoints and atomic file writes: bitwise round trips, a reader written here from the
// format's spec (so the files are standard safetensors, not just readable by our own decoder), one test
// per corruption the decoder must reject, truncation and byte-flip sweeps (never a crash, always a
// bf::Error), and the atomic writer's failure behaviour.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "scratch.h"
#include "io/safetensors.h"

namespace fs = std::filesystem;
using bf::NamedTensor;
using bf::Tensor;

namespace {

using bf::test::ScratchDir;
using bf::test::write_bytes;

// The message of the bf::Error that `fn` throws, or a marker string when it throws nothing.
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const bf::Error& e) {
    return e.what();
  }
  return "<no error thrown>";
}

std::string decode_error(const std::string& bytes) {
  return error_of([&] { bf::decode_safetensors(bytes, "bad.safetensors"); });
}

// A file from a header text and a data section, with the 8-byte little-endian length in front.
std::string make_file(const std::string& header, const std::string& data = "") {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((uint64_t{header.size()} >> (8 * i)) & 0xff));
  return out + header + data;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0);
}

// Tensors covering each dtype, 0-D, empty and 4-D shapes, and float values whose bits a careless
// conversion would change (-0, NaN, subnormals, infinities).
std::vector<NamedTensor> sample_tensors() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const double tiny = std::numeric_limits<double>::denorm_min();
  return {
      {"blocks.0.attn.q.weight", Tensor::from_vector<float>({1.5f, -0.0f, nan, 1e-40f, 3.25f, -7.0f}, {2, 3})},
      {"gains.alpha", Tensor::from_vector<double>({tiny, -std::numeric_limits<double>::infinity(), 0.1, 2.0}, {4})},
      {"tokens", Tensor::from_vector<int32_t>({0, -1, 255, std::numeric_limits<int32_t>::min(), 7, 42}, {3, 1, 2})},
      {"step_scalar", Tensor::from_vector<float>({0.125f}, {})},
      {"empty", Tensor::zeros({0, 5}, bf::DType::f64)},
      {"four_d", Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 1, 2, 2})},
  };
}

void check_same(const std::vector<NamedTensor>& expected, const std::vector<NamedTensor>& actual) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("tensor ", expected[i].name);
    CHECK(actual[i].name == expected[i].name);
    CHECK(actual[i].tensor.device() == bf::Device::cpu);
    CHECK(bitwise_equal(actual[i].tensor, expected[i].tensor));
  }
}

}  // namespace

TEST_CASE("safetensors: round trip is bitwise, in the given order, with and without metadata") {
  const std::vector<NamedTensor> tensors = sample_tensors();
  SUBCASE("empty metadata") {
    const bf::SafetensorsContents back = bf::decode_safetensors(bf::encode_safetensors(tensors, {}), "mem");
    CHECK(back.metadata.empty());
    check_same(tensors, back.tensors);
  }
  SUBCASE("metadata") {
    const std::map<std::string, std::string> metadata = {
        {"config", R"({"preset": "sas", "layers": 18})"}, {"step", "1200"}, {"empty", ""}, {"unicode", "pré\n\"x\""}};
    const bf::SafetensorsContents back = bf::decode_safetensors(bf::encode_safetensors(tensors, metadata), "mem");
    CHECK(back.metadata == metadata);
    check_same(tensors, back.tensors);
  }
  SUBCASE("no tensors at all") {
    const bf::SafetensorsContents back = bf::decode_safetensors(bf::encode_safetensors({}, {{"k", "v"}}), "mem");
    CHECK(back.tensors.empty());
    CHECK(back.metadata.at("k") == "v");
  }
  SUBCASE("through a file") {
    ScratchDir dir("safetensors");
    const std::string path = (dir.path / "ckpt.safetensors").string();
    bf::save_safetensors(path, tensors, {{"step", "7"}});
    const bf::SafetensorsContents back = bf::load_safetensors(path);
    CHECK(back.metadata.at("step") == "7");
    check_same(tensors, back.tensors);
    CHECK(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});
  }
}

TEST_CASE("safetensors: tensors come back in data-offset order, whatever the header's key order") {
  // Keys in the JSON object sort alphabetically ("a" < "z") but the data puts "z" first.
  const std::string data(8, '\0');
  const auto back = bf::decode_safetensors(
      make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
                R"("z":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})",
                data),
      "mem");
  REQUIRE(back.tensors.size() == 2);
  CHECK(back.tensors[0].name == "z");
  CHECK(back.tensors[1].name == "a");
}

TEST_CASE("safetensors: the encoding follows the spec, checked by a reader written here") {
  const std::vector<NamedTensor> tensors = sample_tensors();
  const std::string bytes = bf::encode_safetensors(tensors, {{"step", "3"}});

  // 8-byte little-endian u64 header length, assembled by hand.
  REQUIRE(bytes.size() >= 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  REQUIRE(8 + n <= bytes.size());
  CHECK(n % 8 == 0);  // padded so the data section is 8-byte aligned
  const std::string header_text = bytes.substr(8, n);
  CHECK(header_text.front() == '{');
  CHECK(header_text.find_last_not_of(' ') == header_text.rfind('}'));  // only spaces after the object
  const nlohmann::json header = nlohmann::json::parse(header_text);
  CHECK(header["__metadata__"] == nlohmann::json{{"step", "3"}});

  const std::string data = bytes.substr(8 + n);
  uint64_t expected_begin = 0;  // contiguous, no gaps, in the order given
  for (const NamedTensor& t : tensors) {
    INFO("tensor ", t.name);
    const nlohmann::json& entry = header.at(t.name);
    const char* dtype = t.tensor.dtype() == bf::DType::f32 ? "F32" : t.tensor.dtype() == bf::DType::f64 ? "F64" : "I32";
    CHECK(entry.at("dtype") == dtype);
    std::vector<int64_t> shape;
    for (int a = 0; a < t.tensor.ndim(); ++a) shape.push_back(t.tensor.size(a));
    CHECK(entry.at("shape").get<std::vector<int64_t>>() == shape);
    const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
    REQUIRE(offsets.size() == 2);
    CHECK(offsets[0] == expected_begin);
    CHECK(offsets[1] - offsets[0] == t.tensor.nbytes());
    REQUIRE(offsets[1] <= data.size());
    CHECK(data.compare(offsets[0], t.tensor.nbytes(),
                       std::string(static_cast<const char*>(t.tensor.raw_data()), t.tensor.nbytes())) == 0);
    expected_begin = offsets[1];
  }
  CHECK(expected_begin == data.size());
  CHECK(header.size() == tensors.size() + 1);  // the tensors plus __metadata__, nothing else
}

TEST_CASE("safetensors: reads a file laid out as the reference (Rust/Python) writer lays it out") {
  // What safetensors.torch.save_file({"a": f32[2], "b": f64[1]}, metadata={"format": "pt"}) writes: the
  // metadata first, tensors ordered by alignment then name, header padded with spaces to 8 bytes.
  std::string header = R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},)"
                       R"("a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string data(16, '\0');
  const double b = -2.5;
  const float a[2] = {1.0f, 0.5f};
  std::memcpy(data.data(), &b, 8);
  std::memcpy(data.data() + 8, a, 8);
  const auto back = bf::decode_safetensors(make_file(header, data), "reference.safetensors");
  CHECK(back.metadata == std::map<std::string, std::string>{{"format", "pt"}});
  REQUIRE(back.tensors.size() == 2);
  CHECK(back.tensors[0].name == "b");
  CHECK(back.tensors[0].tensor.to_vector<double>() == std::vector<double>{-2.5});
  CHECK(back.tensors[1].name == "a");
  CHECK(back.tensors[1].tensor.to_vector<float>() == std::vector<float>{1.0f, 0.5f});
}

TEST_CASE("safetensors: the encoder rejects what it cannot write") {
  const Tensor t = Tensor::zeros({2});
  CHECK(error_of([&] { bf::encode_safetensors({{"a", t}, {"a", t}}, {}); }).find("duplicate tensor name 'a'") !=
        std::string::npos);
  CHECK(error_of([&] { bf::encode_safetensors({{"__metadata__", t}}, {}); }).find("reserved") != std::string::npos);
  CHECK(error_of([&] { bf::encode_safetensors({{"u", Tensor()}}, {}); }).find("'u' is undefined") != std::string::npos);
  CHECK(error_of([&] { bf::encode_safetensors({{"bad\xff", t}}, {}); }).find("JSON header") != std::string::npos);
}

TEST_CASE("safetensors: each corruption is one clear error") {
  const std::string f32x2 = R"("dtype":"F32","shape":[2])";
  struct Case {
    const char* what;
    std::string bytes;
    std::string phrase;
  };
  const std::string eight(8, '\0');
  const std::vector<Case> cases = {
      {"shorter than 8 bytes", std::string(5, '\0'), "shorter than the 8-byte header length"},
      {"header length past the file", make_file("{}").substr(0, 8) + "{", "exceeds the 1 bytes that follow"},
      {"absurd header length", std::string("\x00\x00\x00\x00\x01\x00\x00\x00", 8) + "{}", "larger than the 100 MB limit"},
      {"invalid JSON", make_file(R"({"a":)"), "not valid JSON"},
      {"JSON but not an object", make_file("[1, 2]"), "not a JSON object"},
      {"entry not an object", make_file(R"({"a": 3})"), "tensor 'a' (header at bytes 8 to 16): entry must be a JSON object"},
      {"missing dtype", make_file(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", eight), "tensor 'a' (header at bytes 8 to 48): missing 'dtype'"},
      {"missing shape", make_file(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", eight), "missing 'shape'"},
      {"missing data_offsets", make_file("{\"a\":{" + f32x2 + "}}", eight), "missing 'data_offsets'"},
      {"dtype not a string", make_file(R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", eight), "'dtype' must be a string"},
      {"unknown dtype", make_file(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", eight), "unsupported dtype \"BF16\""},
      {"shape not an array", make_file(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", eight), "'shape' must be an array"},
      {"shape of floats", make_file(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", eight), "'shape' must be an array of integers"},
      {"negative dim", make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight), "negative dimension"},
      {"dim past int64", make_file(R"({"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]}})", eight), "overflows"},
      {"product overflow", make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", eight), "element count of shape"},
      {"byte size overflow", make_file(R"({"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}})", eight), "byte size of shape"},
      {"five dims", make_file(R"({"a":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})", eight), "has 5 dimensions; bareformer tensors have at most 4"},
      {"offsets not a pair", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[0,4,8]}})", eight), "'data_offsets' must be [begin, end]"},
      {"offsets not integers", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":["0",8]}})", eight), "'data_offsets' must be [begin, end]"},
      {"negative offset", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[-8,0]}})", eight), "'data_offsets' must be [begin, end]"},
      {"begin after end", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[8,0]}})", eight), "begin 8 > end 0"},
      {"end past the data", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[4,12]}})", eight), "end 12 is past the end of the data section (8 bytes"},
      {"size mismatch", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[0,4]}})", eight), "hold 4 bytes, but F32 shape [2] needs 8 bytes"},
      {"overlap", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}})", eight),
       "tensor 'b' at data_offsets [4, 8) (file byte "},
      {"metadata not an object", make_file(R"({"__metadata__":["x"]})"), "'__metadata__' must be a JSON object of strings"},
      {"metadata value not a string", make_file(R"({"__metadata__":{"step":3}})"), "__metadata__ value for key 'step' is not a string"},
      {"duplicate tensor", make_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[0,8]},"a":{)" + f32x2 + R"(,"data_offsets":[0,8]}})", eight),
       "duplicate tensor name 'a'"},
      {"duplicate field", make_file(R"({"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}})", eight), "duplicate key 'dtype'"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.what));
    const std::string message = decode_error(c.bytes);
    INFO(message);
    CHECK(message.rfind("safetensors file 'bad.safetensors': ", 0) == 0);  // always names the file first
    CHECK(message.find(c.phrase) != std::string::npos);
  }
  // The overlap message names both tensors.
  for (const Case& c : cases)
    if (std::string(c.what) == "overlap")
      CHECK(decode_error(c.bytes).find("overlaps tensor 'a' at [0, 8)") != std::string::npos);
}

TEST_CASE("safetensors: gaps and empty tensors are accepted") {
  // Unused bytes between tensors are harmless; empty tensors may share an offset with anything. (Bytes
  // after the last tensor are not: an error of their own.)
  const auto back = bf::decode_safetensors(
      make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("e":{"dtype":"F64","shape":[0,3],"data_offsets":[2,2]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                std::string(12, '\0')),
      "mem");
  REQUIRE(back.tensors.size() == 3);
  CHECK(back.tensors[1].name == "e");
  CHECK(back.tensors[1].tensor.shape() == bf::Shape{0, 3});
}

TEST_CASE("safetensors: truncation at every byte is an error, never a crash") {
  // The last tensor in data order is non-empty, so every proper prefix cuts the header or the data.
  const std::string bytes = bf::encode_safetensors(
      {{"w", Tensor::from_vector<float>({1, 2, 3}, {3})}, {"t", Tensor::from_vector<int32_t>({4, 5}, {2})}},
      {{"step", "1"}});
  for (size_t length = 0; length < bytes.size(); ++length) {
    INFO("length ", length);
    CHECK_THROWS_AS(bf::decode_safetensors(bytes.substr(0, length), "cut"), bf::Error);
  }
  CHECK_NOTHROW(bf::decode_safetensors(bytes, "whole"));
}

TEST_CASE("safetensors: any single corrupted byte is decoded or rejected, never a crash") {
  const std::string bytes = bf::encode_safetensors(
      {{"w", Tensor::from_vector<float>({1, 2, 3}, {3})}, {"t", Tensor::from_vector<int32_t>({4, 5}, {1, 2})}},
      {{"step", "1"}});
  int rejected = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char value : {0x00, 0x01, 0x22, 0x2c, 0x30, 0x39, 0x5b, 0x7d, 0x80, 0xff}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(value);
      try {
        bf::decode_safetensors(bad, "flipped");
      } catch (const bf::Error&) {
        ++rejected;
      } catch (const std::exception& e) {
        FAIL("byte ", i, " = ", int(value), ": escaped as a non-bf::Error: ", e.what());
      }
    }
  }
  CHECK(rejected > 0);
}

TEST_CASE("read_whole_file: names the path when it cannot read") {
  ScratchDir dir("safetensors");
  const std::string missing = (dir.path / "nope.safetensors").string();
  const std::string message = error_of([&] { bf::read_whole_file(missing); });
  CHECK(message.find(missing) != std::string::npos);
  CHECK(message.find("No such file") != std::string::npos);
  CHECK(error_of([&] { bf::load_safetensors(missing); }).find(missing) != std::string::npos);
  CHECK(error_of([&] { bf::read_whole_file(dir.path.string()); }).find("not a regular file (a directory)") != std::string::npos);
}

TEST_CASE("write_file_atomically: replaces content, leaves no temp files") {
  ScratchDir dir("safetensors");
  const fs::path path = dir.path / "state.bin";
  bf::write_file_atomically(path.string(), "first");
  CHECK(bf::read_whole_file(path.string()) == "first");
  const std::string binary("\0\x01\xff second, longer", 18);
  bf::write_file_atomically(path.string(), binary);
  CHECK(bf::read_whole_file(path.string()) == binary);
  bf::write_file_atomically(path.string(), "");
  CHECK(bf::read_whole_file(path.string()).empty());
  CHECK(dir.entries() == std::vector<std::string>{"state.bin"});
}

TEST_CASE("write_file_atomically: an unwritable destination is an error and the old file survives") {
  ScratchDir dir("safetensors");
  const fs::path existing = dir.path / "keep.bin";
  write_bytes(existing, "precious");

  SUBCASE("parent is a regular file (fails even for root)") {
    const std::string path = (existing / "child.bin").string();
    const std::string message = error_of([&] { bf::write_file_atomically(path, "x"); });
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find("Not a directory") != std::string::npos);
  }
  SUBCASE("read-only directory (root ignores permissions, so only as another user)") {
    if (::geteuid() == 0) return;
    fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
    const std::string message = error_of([&] { bf::write_file_atomically(existing.string(), "new"); });
    fs::permissions(dir.path, fs::perms::owner_all);
    CHECK(message.find(existing.string()) != std::string::npos);
    CHECK(message.find("Permission denied") != std::string::npos);
  }
  SUBCASE("destination is a non-empty directory: the rename fails after the temp file was written") {
    fs::create_directories(dir.path / "sub" / "inner");
    const std::string path = (dir.path / "sub").string();
    const std::string message = error_of([&] { bf::write_file_atomically(path, "x"); });
    CHECK(message.find("rename") != std::string::npos);
    CHECK(fs::is_directory(dir.path / "sub" / "inner"));
    CHECK(dir.entries() == std::vector<std::string>{"keep.bin", "sub"});
  }
  CHECK(bf::read_whole_file(existing.string()) == "precious");
  const std::vector<std::string> left = dir.entries();
  for (const std::string& name : left) CHECK(name.find(".tmp.") == std::string::npos);
}

TEST_CASE("write_file_atomically: a short write (as on a full disk) is an error and the old file survives") {
  // A real full disk cannot be arranged in a test; RLIMIT_FSIZE makes write() stop short of the limit
  // and then fail (EFBIG), the same path through the code as ENOSPC. SIGXFSZ would kill the process,
  // so it is ignored while the limit is in place.
  ScratchDir dir("safetensors");
  const fs::path path = dir.path / "ckpt.safetensors";
  write_bytes(path, "old checkpoint");
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  rlimit small = saved;
  small.rlim_cur = 1000;
  void (*saved_handler)(int) = std::signal(SIGXFSZ, SIG_IGN);
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  const std::string message = error_of([&] { bf::write_file_atomically(path.string(), std::string(5000, 'x')); });
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);

  CHECK(message.find(path.string()) != std::string::npos);
  CHECK(message.find("writing 5000 bytes failed: File too large") != std::string::npos);
  CHECK(bf::read_whole_file(path.string()) == "old checkpoint");
  CHECK(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});
}
