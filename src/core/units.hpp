#pragma once
// Unit conversions of scenario values to SI. Sizes in KB and MB are binary (1 KB = 1024
// bytes); network rates in Gbps are decimal.
namespace archsim {

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGB = 1e9;  // decimal gigabytes, as storage and transfer are priced
constexpr double kBytesPerGbps = 1e9 / 8.0;  // bytes per second in 1 Gbps

}  // namespace archsim
