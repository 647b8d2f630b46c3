// SPDX-License-Identifier: MIT
#pragma once
// A FIFO ring buffer of trivially copyable values. Capacity doubles when full and is then kept, so a
// queue in steady state allocates nothing (std::deque allocates and frees a block every few
// hundred pushes).

#include <cstddef>
#include <type_traits>
#include <vector>

#include "sim/engine/check.h"

namespace kubemind::engine {

template <class T>
class Fifo {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  void push_back(T value) {
    if (size_ == buffer_.size()) grow();
    buffer_[(head_ + size_) & (buffer_.size() - 1)] = value;
    ++size_;
  }

  T pop_front() {
    SIM_ASSERT(size_ > 0, "pop from an empty queue");
    const T value = buffer_[head_];
    head_ = (head_ + 1) & (buffer_.size() - 1);
    --size_;
    return value;
  }

  const T& front() const { return buffer_[head_]; }

 private:
  void grow() {
    std::vector<T> bigger(buffer_.empty() ? 16 : buffer_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = buffer_[(head_ + i) & (buffer_.size() - 1)];
    buffer_.swap(bigger);
    head_ = 0;
  }

  std::vector<T> buffer_;  // size is zero or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace kubemind::engine
