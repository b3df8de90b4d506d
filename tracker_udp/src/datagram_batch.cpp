#include "datagram_batch.hpp"

#include <cerrno>

namespace riptide::udp {

receive_batch::receive_batch(std::size_t capacity)
    : storage_(capacity * receive_datagram_capacity), vectors_(capacity), sources_(capacity), headers_(capacity) {}

std::size_t receive_batch::receive(int fd, int& error) {
  error = 0;
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    vectors_[i] = iovec{storage_.data() + i * receive_datagram_capacity, receive_datagram_capacity};
    headers_[i] = mmsghdr{};
    headers_[i].msg_hdr.msg_name = &sources_[i];
    headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    headers_[i].msg_hdr.msg_iov = &vectors_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    // MSG_TRUNC: each msg_len is the datagram's real length, even when it did not fit.
    const int received =
        ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(headers_.size()), MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (received >= 0) return static_cast<std::size_t>(received);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
    return 0;
  }
}

std::span<const std::uint8_t> receive_batch::payload(std::size_t i) const {
  const std::size_t length = headers_[i].msg_len < receive_datagram_capacity ? headers_[i].msg_len : receive_datagram_capacity;
  return {storage_.data() + i * receive_datagram_capacity, length};
}

send_batch::send_batch(std::size_t capacity)
    : buffers_(capacity), destinations_(capacity), destination_lengths_(capacity), vectors_(capacity), headers_(capacity) {}

std::vector<std::uint8_t>& send_batch::add(const sockaddr_storage& destination, socklen_t destination_length) {
  std::vector<std::uint8_t>& buffer = buffers_[count_];
  buffer.clear();
  destinations_[count_] = destination;
  destination_lengths_[count_] = destination_length;
  ++count_;
  return buffer;
}

send_batch::result send_batch::send(int fd) {
  result outcome;
  for (std::size_t i = 0; i < count_; ++i) {
    vectors_[i] = iovec{buffers_[i].data(), buffers_[i].size()};
    headers_[i] = mmsghdr{};
    headers_[i].msg_hdr.msg_name = &destinations_[i];
    headers_[i].msg_hdr.msg_namelen = destination_lengths_[i];
    headers_[i].msg_hdr.msg_iov = &vectors_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
  std::size_t next = 0;
  while (next < count_) {
    const int sent = ::sendmmsg(fd, headers_.data() + next, static_cast<unsigned>(count_ - next), MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      // The datagram at `next` was refused: drop it, and try the rest.
      ++outcome.failed_packets;
      ++next;
      continue;
    }
    for (std::size_t i = next; i < next + static_cast<std::size_t>(sent); ++i) {
      ++outcome.sent_packets;
      outcome.sent_bytes += buffers_[i].size();
    }
    next += static_cast<std::size_t>(sent);
  }
  count_ = 0;
  return outcome;
}

}  // namespace riptide::udp
