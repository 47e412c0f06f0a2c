// Where a tensor's storage lives. The CUDA backend registers itself at start-up when it is built;
// asking for cuda without it is a bf::Error, never a crash.
#pragma once
#include <cstdint>
#include <string_view>

namespace bf {

enum class Device : uint8_t { cpu, cuda };

constexpr std::string_view device_name(Device device) { return device == Device::cpu ? "cpu" : "cuda"; }
Device device_from_name(std::string_view name);  // "cpu" | "cuda", else bf::Error

}  // namespace bf
