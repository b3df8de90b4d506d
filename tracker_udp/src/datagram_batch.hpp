#pragma once
// Fixed arrays for recvmmsg and sendmmsg: one system call moves a whole batch of datagrams.
// Sized once at start (`capacity` datagrams of at most `datagram_capacity` bytes), never grown.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <vector>

namespace riptide::udp {

// Larger than any request the tracker accepts (a 74-hash scrape is 1496 bytes, an announce with
// BEP 41 options a few hundred); a longer datagram arrives truncated and is refused.
inline constexpr std::size_t receive_datagram_capacity = 2048;

class receive_batch {
 public:
  explicit receive_batch(std::size_t capacity);

  // Receives up to capacity datagrams without blocking; returns how many (0 when none is waiting).
  // Sets `error` to errno for failures other than "nothing to read".
  std::size_t receive(int fd, int& error);

  // What was kept of datagram i: at most receive_datagram_capacity bytes.
  std::span<const std::uint8_t> payload(std::size_t i) const;
  // The length datagram i had on the wire, a truncated one's included.
  std::size_t arrived_bytes(std::size_t i) const { return headers_[i].msg_len; }
  bool truncated(std::size_t i) const { return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  const sockaddr_storage& source(std::size_t i) const { return sources_[i]; }

 private:
  std::vector<std::uint8_t> storage_;
  std::vector<iovec> vectors_;
  std::vector<sockaddr_storage> sources_;
  std::vector<mmsghdr> headers_;
};

class send_batch {
 public:
  explicit send_batch(std::size_t capacity);

  // A cleared buffer for the next datagram to `destination`; valid until send().
  std::vector<std::uint8_t>& add(const sockaddr_storage& destination, socklen_t destination_length);
  bool full() const { return count_ == buffers_.size(); }
  bool empty() const { return count_ == 0; }

  struct result {
    std::size_t sent_packets = 0;
    std::size_t sent_bytes = 0;
    std::size_t failed_packets = 0;
  };
  // Sends everything queued and empties the batch. A datagram the kernel refuses (buffer full,
  // unreachable address) is dropped and counted: UDP is best effort.
  result send(int fd);

 private:
  std::vector<std::vector<std::uint8_t>> buffers_;
  std::vector<sockaddr_storage> destinations_;
  std::vector<socklen_t> destination_lengths_;
  std::vector<iovec> vectors_;
  std::vector<mmsghdr> headers_;
  std::size_t count_ = 0;
};

}  // namespace riptide::udp
