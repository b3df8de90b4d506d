#pragma once
// A process started with stdin, stdout or stderr closed (`2>&-`, some service managers) would hand
// those descriptor numbers to the first files and sockets it opens: log lines written to "stderr"
// would then go to a client's connection or a listening socket. Each missing one is opened on
// /dev/null before anything else is, so the numbers 0, 1 and 2 are never a socket.

namespace riptide::runtime {

// Opens /dev/null on each of descriptors 0, 1 and 2 that is not open. Returns false if one could
// not be opened (the caller should then stop: anything it opens may take that number).
bool open_missing_standard_streams();

}  // namespace riptide::runtime
