#pragma once
// Reads a file an operator names and the tracker re-reads on a signal (the access list, the TLS
// certificate and key). Only a regular file of at most max_bytes is read: a directory, a FIFO, a
// device or a socket is refused before it is opened, so a wrong path can neither block the signal
// thread (a FIFO with no writer) nor fill memory (/dev/zero, whose size reads as 0). The bound
// holds on what is actually read, so a file that grows while it is read is refused too.

#include <cstddef>
#include <string>
#include <variant>

namespace riptide::runtime {

struct file_read_error {
  std::string message;  // names the path and the reason
};

std::variant<std::string, file_read_error> read_regular_file(const std::string& path, std::size_t max_bytes);

}  // namespace riptide::runtime
